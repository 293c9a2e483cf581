# Reference values for scaleup-stats `gee` from R geepack::geeglm.
# Run from this directory: Rscript make_gee_reference.R
# Writes gee/<dataset>.csv (the data) and gee/gee_reference.json (fits).
#
# geeglm is run with geese.control(epsilon = 1e-12, maxit = 200) so that the reference is the
# converged solution (the default epsilon 1e-4 on max|delta beta| stops early). Data are sorted
# by cluster id because geepack treats each contiguous run of an id as one cluster.
suppressMessages({library(geepack); library(jsonlite)})
set.seed(20261126)

sets <- list()
# Parallel CRT as in the reference notes section 10.2: 24 clusters x 20, effect -2, total SD 5,
# ICC 0.05; a binary outcome from a logistic model with a cluster effect; a baseline covariate.
k <- 24; m <- 20
cl <- rep(1:k, each = m); arm <- rep(rep(0:1, each = k / 2), each = m)
u <- rnorm(k, 0, sqrt(0.05) * 5)[cl]
x <- rnorm(k * m)
y <- 15 - 2 * arm + 0.8 * x + u + rnorm(k * m, 0, sqrt(0.95) * 5)
yb <- rbinom(k * m, 1, plogis(-0.5 + 0.7 * arm + 0.3 * x + u / 5))
crt <- data.frame(site = sprintf("s%02d", cl), arm = arm, x = round(x, 4), y = round(y, 4), yb = yb)
sets$crt <- crt
# Unbalanced clusters with missing values (listwise deletion must drop the same rows as R).
unb <- crt[sample(nrow(crt), 380), ]
unb <- unb[order(unb$site), ]
unb$x[c(5, 40, 200)] <- NA
unb$y[c(17, 300)] <- NA
sets$unbalanced <- unb
data(respiratory)
resp <- respiratory
resp$pid <- sprintf("c%d_%03d", resp$center, resp$id)
resp <- resp[order(resp$pid, resp$visit), c("pid", "treat", "sex", "age", "baseline", "visit", "outcome")]
sets$respiratory <- resp
data(dietox)
diet <- dietox[, c("Pig", "Cu", "Time", "Weight")]
diet$Pig <- as.character(diet$Pig)
diet <- diet[order(diet$Pig, diet$Time), ]
sets$dietox <- diet

fits <- list(
  list(data = "crt", formula = "y ~ arm + x", family = "gaussian", group = "site"),
  list(data = "crt", formula = "yb ~ arm + x", family = "binomial", group = "site"),
  list(data = "unbalanced", formula = "y ~ arm + x", family = "gaussian", group = "site"),
  list(data = "unbalanced", formula = "yb ~ arm * x", family = "binomial", group = "site"),
  list(data = "respiratory", formula = "outcome ~ treat + sex + age + baseline", family = "binomial", group = "pid"),
  list(data = "dietox", formula = "Weight ~ Time + Cu", family = "gaussian", group = "Pig")
)
out <- list(generator = "crates/scaleup-stats/tests/reference/make_gee_reference.R",
            versions = list(R = as.character(getRversion()),
                            geepack = as.character(packageVersion("geepack"))),
            fits = list())
for (name in names(sets)) write.csv(sets[[name]], sprintf("gee/%s.csv", name), row.names = FALSE, na = "")
for (f in fits) {
  for (corstr in c("independence", "exchangeable")) {
    d <- sets[[f$data]]
    d <- d[complete.cases(d[, all.vars(as.formula(f$formula))]), ]
    d$.id <- as.integer(factor(d[[f$group]]))
    fit <- geeglm(as.formula(f$formula), family = get(f$family)(), data = d, id = .id,
                  corstr = corstr, control = geese.control(epsilon = 1e-12, maxit = 200))
    s <- summary(fit)$coefficients
    out$fits[[length(out$fits) + 1]] <- list(
      data = f$data, formula = f$formula, family = f$family, group = f$group, corr = corstr,
      n_obs = nrow(d), n_groups = length(unique(d$.id)),
      terms = rownames(s), estimate = unname(s[, "Estimate"]), robust_se = unname(s[, "Std.err"]),
      naive_se = unname(sqrt(diag(fit$geese$vbeta.naiv))),
      alpha = if (corstr == "exchangeable") unname(fit$geese$alpha) else NA,
      scale = unname(fit$geese$gamma), wald_p = unname(s[, "Pr(>|W|)"]))
  }
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), "gee/gee_reference.json")
cat(length(out$fits), "fits\n")
