# Reference values for torchstats' GLM deviance tables, standardized/studentized residuals
# and profile-likelihood intervals (R's anova.glm, rstandard, rstudent, MASS confint).
# Run from this folder:  Rscript make_reference.R
# Writes data.csv (the data, drawn here) and reference.json (R's numbers and versions).
suppressPackageStartupMessages(library(MASS))
library(jsonlite)

set.seed(20261201)
n <- 120
d <- data.frame(
  x1 = rnorm(n),
  x2 = runif(n, 0.5, 3),
  g = factor(sample(c("a", "b", "c"), n, replace = TRUE)),
  expo = runif(n, 0.5, 4),
  w = runif(n, 0.5, 2),
  trials = sample(1:12, n, replace = TRUE)
)
eta <- 0.3 + 0.5 * d$x1 - 0.3 * log(d$x2) + c(a = 0, b = 0.4, c = -0.3)[as.character(d$g)]
d$s <- rbinom(n, d$trials, plogis(eta))
d$f <- d$trials - d$s
d$yb <- rbinom(n, 1, plogis(eta))
d$yc <- rpois(n, exp(eta) * d$expo)
d$ypos <- rgamma(n, shape = 3, scale = exp(eta) / 3)
d$ycont <- 2 + eta + rnorm(n, sd = 0.7) / sqrt(d$w)
write.csv(d, "data.csv", row.names = FALSE)

ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
cases <- list(
  binomial_counts = list(formula = cbind(s, f) ~ g + x1 + g:x1, family = binomial(), weights = NULL, offset = NULL),
  binomial_probit = list(formula = yb ~ g + x1 + log(x2), family = binomial("probit"), weights = NULL, offset = NULL),
  poisson_offset = list(formula = yc ~ g + x1 + g:x1, family = poisson(), weights = NULL, offset = "expo"),
  gamma_log_weights = list(formula = ypos ~ g + x1 + log(x2), family = Gamma("log"), weights = "w", offset = NULL),
  gaussian_weights = list(formula = ycont ~ g + x1 + log(x2), family = gaussian(), weights = "w", offset = NULL)
)

frame_of <- function(tab) {
  out <- lapply(as.data.frame(tab), function(col) ifelse(is.na(col), NA, col))
  out$row <- rownames(tab)
  out
}

fit <- function(case, formula) {
  args <- list(formula = formula, family = case$family, data = d, control = ctrl)
  if (!is.null(case$weights)) args$weights <- d[[case$weights]]
  if (!is.null(case$offset)) args$offset <- log(d[[case$offset]])
  do.call(glm, args)
}

# the exact profile-likelihood limit: (dev(b) - dev_hat) / dispersion = qnorm(0.975)^2,
# by root finding on refits with x_j b in the offset (MASS's confint interpolates a spline)
exact_profile <- function(m, level = 0.95) {
  X <- model.matrix(m)
  y <- m$y
  w <- m$prior.weights
  off <- if (is.null(m$offset)) rep(0, nrow(X)) else m$offset
  disp <- summary(m)$dispersion
  se <- sqrt(diag(vcov(m)))
  q2 <- qnorm(1 - (1 - level) / 2)^2
  b <- coef(m)
  out <- matrix(NA, length(b), 2, dimnames = list(names(b), c("lower", "upper")))
  for (j in seq_along(b)) {
    gap <- function(bj) {
      f <- glm.fit(X[, -j, drop = FALSE], y, weights = w, offset = off + X[, j] * bj,
                   family = m$family, control = ctrl)
      (f$deviance - m$deviance) / disp - q2
    }
    for (side in 1:2) {
      sgn <- c(-1, 1)[side]
      reach <- 3
      while (gap(b[j] + sgn * reach * se[j]) < 0) reach <- reach * 1.5
      ends <- sort(c(b[j], b[j] + sgn * reach * se[j]))
      out[j, side] <- uniroot(gap, ends, tol = 1e-14)$root
    }
  }
  out
}

# R stops IRLS on the relative change of the deviance; Fisher scoring for a non-canonical
# link (Gamma-log, probit) converges linearly, so the coefficients can still be ~1e-8 off.
# polish() restarts glm from its own estimate until the coefficients stop moving.
polish <- function(m) {
  for (i in 1:200) {
    m2 <- suppressWarnings(update(m, start = coef(m)))
    moved <- max(abs(coef(m2) - coef(m)) / pmax(1, abs(coef(m))))
    m <- m2
    if (moved < 1e-15) break
  }
  m
}

# R's hatvalues take the weights of the last IRLS step (at the previous iterate); these
# use the weights at the final fitted means, and rstandard/rstudent with them
final_influence <- function(m) {
  X <- model.matrix(m)
  w <- m$prior.weights * m$family$mu.eta(m$linear.predictors)^2 / m$family$variance(m$fitted.values)
  h <- hat(sqrt(w) * X, intercept = FALSE)
  d <- residuals(m, type = "deviance")
  p <- residuals(m, type = "pearson")
  disp <- summary(m)$dispersion
  r <- sign(d) * sqrt(d^2 + h * p^2 / (1 - h))
  if (!(m$family$family %in% c("binomial", "poisson"))) {
    sigma <- sqrt((sum(d^2) - d^2 / (1 - h)) / (m$df.residual - 1))
    r <- r / sigma
  }
  list(hat = unname(h), rstandard_deviance = unname(d / sqrt(disp * (1 - h))),
       rstandard_pearson = unname(p / sqrt(disp * (1 - h))), rstudent = unname(r))
}

result <- list()
for (name in names(cases)) {
  case <- cases[[name]]
  full <- polish(fit(case, case$formula))
  lhs <- case$formula[[2]]
  small <- polish(fit(case, eval(bquote(.(lhs) ~ x1))))
  middle <- polish(fit(case, eval(bquote(.(lhs) ~ g + x1))))
  # the sequential submodels, polished (anova.glm refits them unpolished)
  seq_formulas <- list(bquote(.(lhs) ~ 1), bquote(.(lhs) ~ g), bquote(.(lhs) ~ g + x1))
  seq_dev <- c(sapply(seq_formulas, function(f) deviance(polish(fit(case, eval(f))))), deviance(full))
  entry <- list(
    seq_resid_dev_polished = seq_dev,
    final = final_influence(full),
    score_max = max(abs(colSums(model.matrix(full) * full$prior.weights *
      (full$y - full$fitted.values) * full$family$mu.eta(full$linear.predictors) /
      full$family$variance(full$fitted.values)))),
    deviance = deviance(full),
    dispersion = summary(full)$dispersion,
    coef = unname(coef(full)),
    anova_seq_none = frame_of(anova(full)),
    anova_seq_chisq = frame_of(anova(full, test = "Chisq")),
    anova_nested_chisq = frame_of(anova(small, middle, full, test = "Chisq")),
    anova_nested_none = frame_of(anova(small, middle, full)),
    hatvalues = unname(hatvalues(full)),
    rstandard_deviance = unname(rstandard(full, type = "deviance")),
    rstandard_pearson = unname(rstandard(full, type = "pearson")),
    rstudent = unname(rstudent(full)),
    confint_mass = unname(suppressMessages(confint(full))),
    confint_exact = unname(exact_profile(full)),
    confint_mass_90 = unname(suppressMessages(confint(full, level = 0.9)))
  )
  if (!(case$family$family %in% c("binomial", "poisson"))) {
    entry$anova_seq_f <- frame_of(anova(full, test = "F"))
    entry$anova_nested_f <- frame_of(anova(small, middle, full, test = "F"))
  }
  result[[name]] <- entry
}
result$versions <- list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
                        command = "Rscript make_reference.R")
writeLines(toJSON(result, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE), "reference.json")
