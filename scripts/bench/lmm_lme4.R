# Peer for scripts/bench/lmm.sh: REML fit of y ~ x + (1 + x | g) with lme4 defaults.
# Usage: Rscript lmm_lme4.R FILE.csv [nested]
# With `nested`, fits y ~ x + (1 | facility/counsellor/client) instead.
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
t0 <- proc.time()[["elapsed"]]
d <- read.csv(args[1])
t1 <- proc.time()[["elapsed"]]
form <- if (length(args) > 1 && args[2] == "nested") {
  y ~ x + (1 | facility/counsellor/client)
} else {
  y ~ x + (1 + x | g)
}
fit <- lmer(form, data = d, REML = TRUE)
t2 <- proc.time()[["elapsed"]]
msgs <- fit@optinfo$conv$lme4$messages
cat(sprintf("lme4 %s: read %.3f s, fit %.3f s, logLik %.4f, fixef %.6f %.6f, converged %s\n",
            packageVersion("lme4"), t1 - t0, t2 - t1, as.numeric(logLik(fit)),
            fixef(fit)[1], fixef(fit)[2],
            if (is.null(msgs)) "yes" else paste("NO:", paste(msgs, collapse = "; "))))
