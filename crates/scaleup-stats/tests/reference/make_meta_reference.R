# Reference values for scaleup-stats `meta` from R metafor.
# Run: Rscript make_meta_reference.R   (writes meta_*.csv and meta_reference.json here)
#
# REML is run with control = list(threshold = 1e-12) so that the reference is the converged
# optimum, not metafor's default stopping point (threshold 1e-5 on the change in tau^2).
# Prediction intervals from predict(fit); Q-profile CIs for tau^2, I^2, H^2 from
# confint(fit, control = list(tol = 1e-12, tau2.max = 1e6)): uniroot's default tolerance is only
# ~1e-4, and metafor caps the search at 10 * tau^2 by default (printing ">" limits), while scaleup
# searches without a cap.
# Knapp-Hartung: metafor's test = "knha" does NOT truncate the scale factor at 1;
# test = "adhoc" does (max(1, q)); both are recorded.
suppressMessages({library(metafor); library(jsonlite)})

datasets <- list()
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
datasets$bcg <- data.frame(label = paste(bcg$author, bcg$year), yi = bcg$yi, sei = sqrt(bcg$vi))
nor <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
              data = dat.normand1999)
datasets$normand1999 <- data.frame(label = nor$source, yi = nor$yi, sei = sqrt(nor$vi))
mol <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
datasets$molloy2014 <- data.frame(label = mol$authors, yi = mol$yi, sei = sqrt(mol$vi))
# Homogeneous: Q < k - 1, so DL and REML give tau^2 = 0 and the RE fit equals the FE fit.
datasets$homogeneous <- data.frame(label = paste("Study", 1:5),
                                   yi = c(0.10, 0.32, 0.21, 0.18, 0.25),
                                   sei = c(0.20, 0.15, 0.25, 0.10, 0.30))
# Three studies with q < 1 under DL, where the knha and adhoc conventions differ.
datasets$three <- data.frame(label = c("A", "B", "C"), yi = c(0.50, 0.62, 0.55),
                             sei = c(0.30, 0.25, 0.40))

out <- list(generator = "crates/scaleup-stats/tests/reference/make_meta_reference.R",
            versions = list(R = as.character(getRversion()),
                            metafor = as.character(packageVersion("metafor"))),
            datasets = datasets, fits = list())
for (name in names(datasets)) {
  d <- datasets[[name]]
  write.csv(d, sprintf("meta_%s.csv", name), row.names = FALSE)
  for (method in c("FE", "DL", "REML")) {
    for (test in c("z", "knha", "adhoc")) {
      fit <- rma(yi = d$yi, sei = d$sei, method = method, test = test,
                 control = list(threshold = 1e-12, maxiter = 1000))
      pr <- predict(fit)
      ci <- if (method == "FE") NULL else confint(fit, control = list(tol = 1e-12, tau2.max = 1e6))$random
      out$fits[[length(out$fits) + 1]] <- list(
        pi_lb = if (is.null(pr$pi.lb)) NA else pr$pi.lb,
        pi_ub = if (is.null(pr$pi.ub)) NA else pr$pi.ub,
        tau2_ci = if (is.null(ci)) NA else unname(ci["tau^2", c("ci.lb", "ci.ub")]),
        I2_ci = if (is.null(ci)) NA else unname(ci["I^2(%)", c("ci.lb", "ci.ub")]),
        H2_ci = if (is.null(ci)) NA else unname(ci["H^2", c("ci.lb", "ci.ub")]),
        dataset = name, method = method, test = test, k = fit$k,
        estimate = as.numeric(fit$beta), se = fit$se, statistic = fit$zval, pval = fit$pval,
        ci_lb = fit$ci.lb, ci_ub = fit$ci.ub, tau2 = fit$tau2,
        se_tau2 = if (is.null(fit$se.tau2)) NA else fit$se.tau2,
        QE = fit$QE, QEp = fit$QEp, I2 = fit$I2, H2 = fit$H2,
        weights = as.numeric(weights(fit)))
    }
  }
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "meta_reference.json")
cat(length(out$fits), "fits\n")
