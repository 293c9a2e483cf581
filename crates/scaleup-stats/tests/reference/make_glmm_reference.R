# Reference values for scaleup-stats' binomial GLMM (Laplace), from R's lme4 glmer (nAGQ = 1).
#
# Run from this directory:  Rscript make_glmm_reference.R
# Writes lmm/<dataset>.csv (written then read back) and lmm/<case>.json. The Rust test
# crates/scaleup-stats/tests/glmm_reference.rs reads them. glmer runs with bobyqa in both
# stages, tighter tolerances than the defaults, and a tight PIRLS tolerance, so the reference
# is converged well below the comparison tolerance.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
set.seed(20261127)
dir.create("lmm", showWarnings = FALSE)

write_data <- function(df, name) {
  path <- file.path("lmm", paste0(name, ".csv"))
  write.csv(df, path, row.names = FALSE)
  read.csv(path)
}

ctrl <- glmerControl(optimizer = c("bobyqa", "bobyqa"), tolPwrss = 1e-12,
                     optCtrl = list(rhoend = 1e-11, maxfun = 1e5),
                     check.conv.singular = "ignore")

fit_case <- function(case, dataset, formula, data) {
  fit <- glmer(as.formula(formula), data = data, family = binomial, nAGQ = 1, control = ctrl)
  co <- summary(fit)$coefficients
  vc <- VarCorr(fit)
  msgs <- fit@optinfo$conv$lme4$messages
  rr <- ranef(fit, condVar = TRUE)
  g1 <- names(rr)[1]
  pv <- attr(rr[[g1]], "postVar")
  nl <- 3
  out <- list(
    case = case, dataset = dataset, formula = formula, family = "binomial",
    n_obs = nobs(fit),
    fixed_effects = lapply(seq_len(nrow(co)), function(i) list(
      term = rownames(co)[i], estimate = co[i, "Estimate"], std_error = co[i, "Std. Error"],
      z_value = co[i, "z value"], p_value = co[i, "Pr(>|z|)"])),
    vcov = unname(lapply(seq_len(nrow(co)), function(i) unname(as.matrix(vcov(fit))[i, ]))),
    random_effects = lapply(seq_along(vc), function(k) {
      m <- vc[[k]]
      list(group = names(vc)[k], terms = colnames(m),
           covariance = unname(lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))))
    }),
    log_likelihood = as.numeric(logLik(fit)),
    aic = AIC(fit), bic = BIC(fit),
    theta = unname(getME(fit, "theta")),
    singular = isSingular(fit),
    lme4_converged_cleanly = is.null(msgs) || length(msgs) == 0,
    blups = list(group = g1, levels = rownames(rr[[g1]])[1:nl],
      values = unname(lapply(1:nl, function(i) unname(as.numeric(rr[[g1]][i, ])))),
      cond_var = unname(lapply(1:nl, function(i) {
        mm <- pv[, , i, drop = TRUE]
        if (is.null(dim(mm))) list(list(mm)) else lapply(seq_len(nrow(mm)), function(r) unname(mm[r, ]))
      }))),
    versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")))
  )
  write_json(out, file.path("lmm", paste0(case, ".json")), auto_unbox = TRUE, digits = NA,
             pretty = TRUE)
}

# 1. Cluster trial with a binary remission outcome: 30 clusters of 10-40, arm and a covariate.
k <- sample(10:40, 30, replace = TRUE)
cl <- rep(1:30, k)
arm <- as.integer(cl > 15)
sev <- rnorm(length(cl))
eta <- -0.4 + 0.7 * arm - 0.5 * sev + rnorm(30, sd = 0.6)[cl]
remit <- rbinom(length(cl), 1, plogis(eta))
crt <- write_data(data.frame(remit = remit, arm = arm, severity = sev, cluster = cl), "binary_crt")
fit_case("glmm_crt", "binary_crt", "remit ~ arm + severity + (1 | cluster)", crt)

# 2. Correlated random intercept and slope, 40 groups of 30, with a string factor.
g <- rep(1:40, each = 30)
x <- rnorm(length(g))
f <- sample(c("a", "b", "c"), length(g), replace = TRUE)
u0 <- rnorm(40, sd = 0.8); u1 <- 0.3 * u0 + rnorm(40, sd = 0.4)
eta <- 0.2 + 0.6 * x + c(a = 0, b = -0.5, c = 0.4)[f] + u0[g] + u1[g] * x
y <- rbinom(length(g), 1, plogis(eta))
slope <- write_data(data.frame(y = y, x = x, f = f, g = paste0("s", sprintf("%02d", g))), "binary_slope")
fit_case("glmm_slope", "binary_slope", "y ~ x + f + (1 + x | g)", slope)

# 3. Stepped wedge with a binary outcome: 12 clusters, 5 periods, 15 per cluster-period;
#    random cluster and cluster-by-period intercepts (two terms: the general PIRLS path).
#    The second dataset drops the cluster-by-period variation, giving a singular fit.
cl <- rep(1:12, each = 100)
period <- rep(rep(1:5, each = 20), times = 12)
sequence <- ceiling((1:12) / 3)
treat <- as.integer(period > sequence[cl])
cp <- (cl - 1) * 5 + period
eta <- -0.5 + 0.1 * period + 0.6 * treat + rnorm(12, sd = 0.5)[cl] + rnorm(60, sd = 0.6)[cp]
y <- rbinom(length(cl), 1, plogis(eta))
sw <- write_data(data.frame(y = y, period = period, period_f = paste0("p", period), treat = treat,
                            cluster = paste0("k", sprintf("%02d", cl))), "binary_sw")
fit_case("glmm_sw", "binary_sw", "y ~ period_f + treat + (1 | cluster) + (1 | cluster:period)", sw)
y0 <- rbinom(length(cl), 1, plogis(-0.5 + 0.1 * period + 0.6 * treat))
sw0 <- write_data(transform(sw, y = y0), "binary_sw_singular")
fit_case("glmm_sw_singular", "binary_sw_singular",
         "y ~ period_f + treat + (1 | cluster) + (1 | cluster:period)", sw0)

# 4. A sweep of small random binary datasets (some singular), to catch optimiser failures.
structures <- c("y ~ x + (1 | g)", "y ~ x + (1 + x | g)", "y ~ x + (1 | g) + (1 | h)",
                "y ~ x + f + (1 | g)")
for (s in 1:8) {
  structure <- structures[(s - 1) %% length(structures) + 1]
  m <- sample(8:30, 1)
  g <- rep(seq_len(m), sample(5:30, m, replace = TRUE))
  n <- length(g)
  h <- sample(1:6, n, replace = TRUE)
  x <- rnorm(n)
  f <- sample(c("u", "v", "w"), n, replace = TRUE)
  sd0 <- sample(c(0, 0.5, 1.2), 1); sd1 <- sample(c(0, 0.4), 1); sdh <- sample(c(0, 0.6), 1)
  eta <- -0.3 + 0.7 * x + (f == "w") * 0.5 + rnorm(m, sd = sd0)[g] + rnorm(m, sd = sd1)[g] * x +
    rnorm(6, sd = sdh)[h]
  y <- rbinom(n, 1, plogis(eta))
  name <- sprintf("glmm_sweep_%02d", s)
  d <- write_data(data.frame(y = y, x = x, f = f, g = g, h = h), name)
  fit_case(name, name, structure, d)
}

# 5. Aggregated binomial responses, glmer(cbind(successes, failures) ~ ...): the response is
#    the proportion successes / trials with prior weights = trials, and logLik includes the
#    binomial coefficients log C(trials, successes). These cases have their own seed so the
#    datasets above stay byte-identical when cases are added here. (The datasets are; lme4's
#    fits are not always bit-reproducible: on one rerun glmm_sweep_03 and glmm_sweep_07 moved
#    by ~1e-7, well inside the test tolerances; the committed files were kept.)
set.seed(20261128)

# 5a. Cluster trial, facility-month counts: 24 facilities (half in the intervention arm), 6
#     months, 5-30 clients treated per facility-month, a facility-month workload covariate.
fac <- rep(1:24, each = 6)
month <- rep(1:6, times = 24)
arm <- as.integer(fac > 12)
workload <- round(rnorm(length(fac)), 3)
treated <- sample(5:30, length(fac), replace = TRUE)
eta <- -0.3 + 0.6 * arm - 0.4 * workload + rnorm(24, sd = 0.5)[fac]
remitted <- rbinom(length(fac), treated, plogis(eta))
agg_crt <- write_data(data.frame(remitted = remitted, not_remitted = treated - remitted, arm = arm,
                                 workload = workload, month = month,
                                 facility = paste0("f", sprintf("%02d", fac))), "agg_crt")
fit_case("glmm_agg_crt", "agg_crt",
         "cbind(remitted, not_remitted) ~ arm + workload + (1 | facility)", agg_crt)

# 5b. Correlated random intercept and slope: 30 groups of 8 rows, 1-20 trials per row.
g <- rep(1:30, each = 8)
x <- round(rnorm(length(g)), 3)
u0 <- rnorm(30, sd = 0.7); u1 <- -0.4 * u0 + rnorm(30, sd = 0.3)
trials <- sample(1:20, length(g), replace = TRUE)
k <- rbinom(length(g), trials, plogis(0.1 + 0.5 * x + u0[g] + u1[g] * x))
agg_slope <- write_data(data.frame(k = k, fails = trials - k, x = x,
                                   g = paste0("g", sprintf("%02d", g))), "agg_slope")
fit_case("glmm_agg_slope", "agg_slope", "cbind(k, fails) ~ x + (1 + x | g)", agg_slope)

# 5c. Sparse counts: 0-3 trials per row (about a quarter with 0 trials, which glmer keeps:
#     they count in nobs, hence in BIC, but add nothing to the likelihood) and a missing
#     failure count (listwise deletion); 20 groups of 6.
g <- rep(1:20, each = 6)
x <- round(rnorm(length(g)), 3)
trials <- sample(0:3, length(g), replace = TRUE)
k <- rbinom(length(g), trials, plogis(-0.2 + 0.8 * x + rnorm(20, sd = 0.8)[g]))
fails <- trials - k
fails[7] <- NA
agg_sparse <- write_data(data.frame(k = k, fails = fails, x = x,
                                    g = paste0("s", sprintf("%02d", g))), "agg_sparse")
fit_case("glmm_agg_sparse", "agg_sparse", "cbind(k, fails) ~ x + (1 | g)", agg_sparse)

# 5d. Two terms (the general PIRLS path) with weights: 10 facilities, 4 periods, 3 rows per
#     facility-period; facility and facility-by-period intercepts.
fac <- rep(1:10, each = 12)
period <- rep(rep(1:4, each = 3), times = 10)
treat <- as.integer(period > ceiling((1:10) / 3)[fac])
fp <- (fac - 1) * 4 + period
trials <- sample(2:15, length(fac), replace = TRUE)
k <- rbinom(length(fac), trials,
            plogis(-0.4 + 0.5 * treat + rnorm(10, sd = 0.5)[fac] + rnorm(40, sd = 0.4)[fp]))
agg_sw <- write_data(data.frame(k = k, fails = trials - k, treat = treat, period = period,
                                facility = paste0("h", sprintf("%02d", fac))), "agg_sw")
fit_case("glmm_agg_sw", "agg_sw", "cbind(k, fails) ~ treat + (1 | facility) + (1 | facility:period)",
         agg_sw)

# 5e. Facility-level counts, one row per facility: `(1 | facility)` is then an observation-level
#     random effect (overdispersion), which glmer allows (levels = observations) and lmer
#     would not. 30 facilities, 20-60 clients each, arm and a covariate.
fac <- 1:30
arm <- as.integer(fac > 15)
staff <- round(runif(30, 1, 6), 2)
treated <- sample(20:60, 30, replace = TRUE)
remitted <- rbinom(30, treated, plogis(-0.5 + 0.6 * arm + 0.1 * staff + rnorm(30, sd = 0.5)))
agg_facility <- write_data(data.frame(remitted = remitted, not_remitted = treated - remitted,
                                      arm = arm, staff = staff,
                                      facility = paste0("f", sprintf("%02d", fac))), "agg_facility")
fit_case("glmm_agg_facility", "agg_facility",
         "cbind(remitted, not_remitted) ~ arm + staff + (1 | facility)", agg_facility)

# 5f. Facility-months with a facility effect and an observation-level effect (two terms, the
#     general path, with one term having a level per row): 15 facilities, 4 months.
fac <- rep(1:15, each = 4)
obs <- seq_along(fac)
arm <- as.integer(fac > 7)
treated <- sample(5:25, length(fac), replace = TRUE)
remitted <- rbinom(length(fac), treated,
                   plogis(-0.2 + 0.5 * arm + rnorm(15, sd = 0.4)[fac] + rnorm(length(fac), sd = 0.4)))
agg_olre <- write_data(data.frame(remitted = remitted, not_remitted = treated - remitted, arm = arm,
                                  obs = obs, facility = paste0("f", sprintf("%02d", fac))), "agg_olre")
fit_case("glmm_agg_olre", "agg_olre",
         "cbind(remitted, not_remitted) ~ arm + (1 | facility) + (1 | obs)", agg_olre)
