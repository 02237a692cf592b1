# Reference values of R's lmtest for tests/stats/test_diagnostic.py (harvtest, gqtest,
# bgtest, bptest, resettest) on mtcars; run: Rscript r_lmtest.R > r_lmtest.json
library(lmtest)
out <- list()
forms <- list(k2 = mpg ~ wt, k3 = mpg ~ wt + hp, k4 = mpg ~ wt + hp + qsec, k5 = mpg ~ wt + hp + qsec + drat)
for (name in names(forms)) {
  fm <- lm(forms[[name]], data = mtcars)
  hc <- harvtest(fm)
  gq <- gqtest(fm, point = 14, alternative = "greater")
  gq2 <- gqtest(fm, point = 14, alternative = "less")
  bg <- bgtest(fm, order = 3)
  bgf <- bgtest(fm, order = 3, type = "F")
  bp <- bptest(fm)
  bpn <- bptest(fm, studentize = FALSE)
  rs <- resettest(fm, power = 2:3, type = "fitted")
  out[[name]] <- list(
    harvey_collier = c(unname(hc$statistic), hc$p.value),
    gq_greater = c(unname(gq$statistic), gq$p.value),
    gq_less = c(unname(gq2$statistic), gq2$p.value),
    bg_chisq = c(unname(bg$statistic), bg$p.value),
    bg_f = c(unname(bgf$statistic), bgf$p.value),
    bp = c(unname(bp$statistic), bp$p.value),
    bp_nonrobust = c(unname(bpn$statistic), bpn$p.value),
    reset_f = c(unname(rs$statistic), rs$p.value)
  )
}
lb <- Box.test(mtcars$mpg, lag = 5, type = "Ljung-Box")
bpx <- Box.test(mtcars$mpg, lag = 5, type = "Box-Pierce")
out$box_mpg_5 <- list(ljung_box = c(unname(lb$statistic), lb$p.value), box_pierce = c(unname(bpx$statistic), bpx$p.value))
out$padjust <- list(p = c(0.01, 0.02, 0.03, 0.04, 0.05, 0.2, 0.5, 0.001, 0.3, 0.04))
for (m in c("bonferroni", "holm", "hochberg", "hommel", "BH", "BY")) out$padjust[[m]] <- p.adjust(out$padjust$p, method = m)
out$mtcars <- as.list(mtcars[, c("mpg", "wt", "hp", "qsec", "drat")])
out$versions <- list(R = R.version.string, lmtest = as.character(packageVersion("lmtest")))
cat(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
