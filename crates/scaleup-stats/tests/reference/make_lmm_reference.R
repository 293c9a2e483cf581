# Reference values for scaleup-stats' linear mixed models, from R's lme4 and lmerTest.
#
# Run from this directory:  Rscript make_lmm_reference.R
# Writes lmm/<dataset>.csv (the data, written then read back so R and Rust fit identical
# numbers) and lmm/<case>.json (lme4 results). The Rust test crates/scaleup-stats/tests/lmm_reference.rs
# reads them. lme4 is run with its default optimiser (nloptwrap BOBYQA) but tighter tolerances
# than the defaults so the reference is converged well below the 1e-5 comparison tolerance.
# With such tolerances nloptwrap may warn NLOPT_ROUNDOFF_LIMITED on a case: it has reached
# machine precision; lme4's own convergence check (recorded per case) still decides.
# lme4's answers vary in about the 10th digit between runs, so re-running rewrites some JSON.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})
set.seed(20261126)
dir.create("lmm", showWarnings = FALSE)

write_data <- function(df, name) {
  path <- file.path("lmm", paste0(name, ".csv"))
  write.csv(df, path, row.names = FALSE)
  read.csv(path)
}

ctrl <- lmerControl(optimizer = "nloptwrap",
                    optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12,
                                   maxeval = 100000),
                    check.conv.singular = "ignore")

fit_case <- function(case, dataset, formula, data, reml = TRUE, factors = character()) {
  fit <- lmerTest::lmer(as.formula(formula), data = data, REML = reml, control = ctrl)
  s <- summary(fit)
  co <- s$coefficients
  vc <- VarCorr(fit)
  re <- lapply(seq_along(vc), function(k) {
    m <- vc[[k]]
    list(group = names(vc)[k],
         group_factor = sub("\\.[0-9]+$", "", names(vc)[k]),
         terms = colnames(m),
         covariance = unname(lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))))
  })
  msgs <- fit@optinfo$conv$lme4$messages
  out <- list(
    case = case,
    dataset = dataset,
    formula = formula,
    factors = factors,
    method = if (reml) "REML" else "ML",
    n_obs = nobs(fit),
    fixed_effects = lapply(seq_len(nrow(co)), function(i) list(
      term = rownames(co)[i], estimate = co[i, "Estimate"], std_error = co[i, "Std. Error"],
      df = co[i, "df"], p_value = co[i, "Pr(>|t|)"])),
    vcov = unname(lapply(seq_len(nrow(co)), function(i) unname(as.matrix(vcov(fit))[i, ]))),
    random_effects = re,
    residual_variance = sigma(fit)^2,
    log_likelihood = as.numeric(logLik(fit)),
    aic = AIC(fit),
    bic = BIC(fit),
    theta = unname(getME(fit, "theta")),
    singular = isSingular(fit),
    lme4_converged_cleanly = is.null(msgs) || length(msgs) == 0,
    ngrps = as.list(ngrps(fit)),
    versions = list(R = R.version.string,
                    lme4 = as.character(packageVersion("lme4")),
                    lmerTest = as.character(packageVersion("lmerTest")))
  )
  # BLUPs of the first term's first few levels with conditional variances.
  rr <- ranef(fit, condVar = TRUE)
  g1 <- names(rr)[1]
  pv <- attr(rr[[g1]], "postVar")
  nl <- min(3, nrow(rr[[g1]]))
  out$blups <- list(group = g1,
                    levels = rownames(rr[[g1]])[seq_len(nl)],
                    values = unname(lapply(seq_len(nl), function(i) unname(as.numeric(rr[[g1]][i, ])))),
                    cond_var = unname(lapply(seq_len(nl), function(i) {
                      # Several terms on one factor (`||`) give a list of arrays: block-diagonal.
                      m <- if (is.list(pv)) {
                        blocks <- lapply(pv, function(a) as.matrix(a[, , i]))
                        as.matrix(Matrix::bdiag(blocks))
                      } else pv[, , i, drop = TRUE]
                      if (is.null(dim(m))) list(list(m)) else lapply(seq_len(nrow(m)), function(r) unname(m[r, ]))
                    })))
  write_json(out, file.path("lmm", paste0(case, ".json")), auto_unbox = TRUE, digits = NA,
             pretty = TRUE)
}

# 1. sleepstudy: correlated random intercept and slope; independent slopes; ML.
sleep <- write_data(lme4::sleepstudy, "sleepstudy")
fit_case("sleep_corr_reml", "sleepstudy", "Reaction ~ Days + (Days | Subject)", sleep)
fit_case("sleep_corr_ml", "sleepstudy", "Reaction ~ Days + (Days | Subject)", sleep, reml = FALSE)
fit_case("sleep_indep_reml", "sleepstudy", "Reaction ~ Days + (Days || Subject)", sleep)

# 2. Unbalanced random intercept (group sizes 2..40), with missing values in x and y.
m <- 30
sizes <- sample(2:40, m, replace = TRUE)
g <- rep(seq_len(m), sizes)
n <- length(g)
x <- rnorm(n)
y <- 1 + 0.5 * x + rnorm(m, sd = 0.8)[g] + rnorm(n)
y[sample(n, 5)] <- NA
x[sample(n, 3)] <- NA
unb <- write_data(data.frame(y = y, x = x, g = paste0("c", sprintf("%02d", g))), "unbalanced")
fit_case("unbalanced_reml", "unbalanced", "y ~ x + (1 | g)", unb)
fit_case("unbalanced_ml", "unbalanced", "y ~ x + (1 | g)", unb, reml = FALSE)

# 3. Crossed: 25 participants x 12 items, one observation each, random intercepts for both.
a <- rep(1:25, each = 12)
b <- rep(1:12, times = 25)
x <- rnorm(length(a))
y <- 2 - 0.3 * x + rnorm(25, sd = 1)[a] + rnorm(12, sd = 0.6)[b] + rnorm(length(a), sd = 0.9)
crossed <- write_data(data.frame(y = y, x = x, subj = a, item = paste0("i", sprintf("%02d", b))),
                      "crossed")
fit_case("crossed_reml", "crossed", "y ~ x + (1 | subj) + (1 | item)", crossed)

# 4. Nested: 8 facilities, 4 counsellors each, 6-12 clients per counsellor (counsellor labels
#    repeat across facilities, so nesting must come from the formula).
fac <- rep(1:8, each = 4)
cou <- rep(1:4, times = 8)
k <- sample(6:12, 32, replace = TRUE)
fi <- rep(fac, k); ci <- rep(cou, k); idx <- rep(1:32, k)
x <- rnorm(length(fi))
y <- 10 + 1.2 * x + rnorm(8, sd = 1.5)[fi] + rnorm(32, sd = 0.7)[idx] + rnorm(length(fi), sd = 1.1)
nested <- write_data(data.frame(y = y, x = x, facility = paste0("F", fi), counsellor = ci), "nested")
fit_case("nested_reml", "nested", "y ~ x + (1 | facility/counsellor)", nested)

# 5. Singular fit: no between-group variation in intercepts or slopes.
g <- rep(1:15, each = 8)
x <- rnorm(length(g))
e <- rnorm(length(g))
e <- e - ave(e, g)  # identical group means: the intercept variance estimate is exactly 0
y <- 3 + x + e
sing <- write_data(data.frame(y = y, x = x, g = g), "singular")
fit_case("singular_reml", "singular", "y ~ x + (1 | g)", sing)
fit_case("singular_slope_reml", "singular", "y ~ x + (1 + x | g)", sing)

# 6. Factor fixed effect with interaction, correlated slopes, 3 random effects per group.
g <- rep(1:40, each = 10)
f <- sample(c("ctl", "low", "high"), length(g), replace = TRUE)
x <- rnorm(length(g)); z <- runif(length(g))
fe <- c(ctl = 0, low = 0.5, high = 1.1)[f]
u0 <- rnorm(40, sd = 1); u1 <- rnorm(40, sd = 0.5); u2 <- 0.4 * u0 + rnorm(40, sd = 0.3)
y <- 1 + fe + 0.8 * x - 0.4 * x * (f == "high") + u0[g] + u1[g] * x + u2[g] * z +
  0.5 * z + rnorm(length(g), sd = 0.7)
fact <- write_data(data.frame(y = y, x = x, z = z, f = f, g = g), "factor_interaction")
fit_case("factor_interaction_reml", "factor_interaction", "y ~ x * f + z + (1 + x + z | g)", fact)
fit_case("factor_interaction_ml", "factor_interaction", "y ~ x * f + z + (1 | g)", fact, reml = FALSE)

# 7. Parallel cluster RCT (24 clusters x 20, arm effect -2, ICC about 0.05), as in the
#    design reference; `arm` is numeric 0/1.
cl <- rep(1:24, each = 20)
arm <- as.integer(cl > 12)
y <- 12 - 2 * arm + rnorm(24, sd = sqrt(1.25))[cl] + rnorm(length(cl), sd = sqrt(23.75))
crt <- write_data(data.frame(phq = y, arm = arm, cluster = cl), "crt")
fit_case("crt_reml", "crt", "phq ~ arm + (1 | cluster)", crt)

# 8. Stepped-wedge trial: 12 clusters in 4 sequences, 5 periods, 10 individuals per
#    cluster-period; fixed period effects and treatment, random cluster and cluster-by-period
#    intercepts (Hooper/Girling model), written as the interaction grouping `cluster:period`.
cl <- rep(1:12, each = 50)
period <- rep(rep(1:5, each = 10), times = 12)
sequence <- ceiling((1:12) / 3)
treat <- as.integer(period > sequence[cl])
cp <- (cl - 1) * 5 + period
y <- 15 - 0.3 * period - 1.5 * treat + rnorm(12, sd = 1.2)[cl] + rnorm(60, sd = 0.6)[cp] +
  rnorm(length(cl), sd = 3)
sw <- write_data(data.frame(y = y, period = period, period_f = paste0("p", period), treat = treat,
                            cluster = paste0("k", sprintf("%02d", cl))), "stepped_wedge")
fit_case("stepped_wedge_reml", "stepped_wedge",
         "y ~ period_f + treat + (1 | cluster) + (1 | cluster:period)", sw)

# 9. A sweep of small random datasets over the supported structures, with variance components
#    drawn so that some fits are singular: catches optimiser failures (e.g. a boundary local
#    minimum) that a handful of hand-made cases would miss. Cases where lme4 itself reports a
#    convergence problem are written with lme4_converged_cleanly = false and skipped by the test.
structures <- c("y ~ x + (1 | g)", "y ~ x + (1 + x | g)", "y ~ x + (1 + x || g)",
                "y ~ x + (1 | g) + (1 | h)", "y ~ x + (1 | g/h)", "y ~ x * f + (1 + x | g)")
for (s in 1:24) {
  structure <- structures[(s - 1) %% length(structures) + 1]
  m <- sample(5:25, 1)
  sizes <- sample(2:15, m, replace = TRUE)
  g <- rep(seq_len(m), sizes)
  n <- length(g)
  h <- sample(1:sample(3:8, 1), n, replace = TRUE)
  x <- rnorm(n, mean = sample(c(0, 3), 1))
  f <- sample(c("p", "q"), n, replace = TRUE)
  sd0 <- sample(c(0, 0.2, 1, 3), 1); sd1 <- sample(c(0, 0.3, 1), 1); sdh <- sample(c(0, 0.5, 1), 1)
  y <- 1 + 0.5 * x + (f == "q") * 0.3 + rnorm(m, sd = sd0)[g] + rnorm(m, sd = sd1)[g] * x +
    rnorm(8, sd = sdh)[h] + rnorm(n)
  name <- sprintf("sweep_%02d", s)
  d <- write_data(data.frame(y = y, x = x, f = f, g = g, h = h), name)
  method <- s %% 3 != 0
  fit_case(name, name, structure, d, reml = method)
}

# 10. Crossed with a correlated random slope on the factor with fewer levels, so that a term
#     with two effects per level is not the first (largest) term.
a <- rep(1:30, each = 10)
b <- rep(1:10, times = 30)
x <- rnorm(300)
ub0 <- rnorm(10, sd = 0.8); ub1 <- 0.5 * ub0 + rnorm(10, sd = 0.5)
y <- 1 + 0.4 * x + rnorm(30, sd = 0.7)[a] + ub0[b] + ub1[b] * x + rnorm(300, sd = 0.6)
cs <- write_data(data.frame(y = y, x = x, subj = a, item = paste0("i", sprintf("%02d", b))), "crossed_slope")
fit_case("crossed_slope_reml", "crossed_slope", "y ~ x + (1 | subj) + (1 + x | item)", cs)

# 11. Three-level nesting: repeated measures within clients within counsellors within
#     facilities; lme4 names the deepest factor `client:(counsellor:facility)`.
fac <- rep(1:6, each = 4 * 5 * 3)
cou <- rep(rep(1:4, each = 5 * 3), times = 6)
cli <- rep(rep(1:5, each = 3), times = 24)
x <- rnorm(length(fac))
ic <- (fac - 1) * 4 + cou
ik <- (ic - 1) * 5 + cli
y <- 5 + 0.3 * x + rnorm(6, sd = 1)[fac] + rnorm(24, sd = 0.6)[ic] + rnorm(120, sd = 0.8)[ik] +
  rnorm(length(fac), sd = 0.7)
three <- write_data(data.frame(y = y, x = x, facility = paste0("F", fac), counsellor = cou,
                               client = cli), "three_level")
fit_case("three_level_reml", "three_level", "y ~ x + (1 | facility/counsellor/client)", three)
