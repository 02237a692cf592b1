# Reference values for torchstats' HC2/HC3 of GLMs and discrete models and for the
# cluster jackknife (CRV3) of least squares, from R's sandwich package.
# Run from this directory:  Rscript make_reference.R
# Writes mtcars.csv, warpbreaks.csv (the data), reference.json (the values), versions.txt.
library(sandwich)
library(jsonlite)

write.csv(mtcars, "mtcars.csv", row.names = FALSE)
write.csv(warpbreaks, "warpbreaks.csv", row.names = FALSE)

hc <- function(fit) {
  out <- list(coef = unname(coef(fit)), names = names(coef(fit)))
  for (type in c("HC0", "HC1", "HC2", "HC3")) {
    out[[type]] <- unname(vcovHC(fit, type = type))
  }
  out$hatvalues <- unname(hatvalues(fit))
  out
}

# tight convergence, so the reference is the exact MLE (glm's default epsilon = 1e-8 leaves
# about 5e-7 relative error in the covariances)
tight <- glm.control(epsilon = 1e-14, maxit = 100)
# Fisher scoring of a non-canonical link stops at that epsilon 3e-8 short of the MLE (the
# deviance is flat there): iterate until it no longer moves
exact <- glm.control(epsilon = 1e-20, maxit = 200)
models <- list(
  logit_vs_mpg_wt = glm(vs ~ mpg + wt, family = binomial, data = mtcars, control = tight),
  poisson_breaks = glm(breaks ~ wool + tension, family = poisson, data = warpbreaks, control = tight),
  poisson_carb_wt = glm(carb ~ wt + qsec, family = poisson, data = mtcars, control = tight),
  gamma_inverse_mpg = glm(mpg ~ wt + hp, family = Gamma(link = "inverse"), data = mtcars, control = tight),
  gaussian_mpg = glm(mpg ~ wt + hp, family = gaussian, data = mtcars, control = tight),
  # non-canonical links: R's bread is the expected information (glm's IRLS weights)
  gamma_log_mpg = glm(mpg ~ wt + hp, family = Gamma(link = "log"), data = mtcars, control = exact),
  probit_vs_mpg_wt = glm(vs ~ mpg + wt, family = binomial(link = "probit"), data = mtcars, control = exact),
  gaussian_log_mpg = glm(mpg ~ wt + hp, family = gaussian(link = "log"), data = mtcars,
                         start = c(3, 0, 0), control = exact),
  poisson_sqrt_breaks = glm(breaks ~ wool + tension, family = poisson(link = "sqrt"), data = warpbreaks,
                            control = exact)
)
reference <- list(glm = lapply(models, hc))

# Cluster jackknife of lm: vcovCL(type = "HC3") is sum_g (b_(g) - b)(b_(g) - b)' with
# cadjust = TRUE and (G-1)/G times it with cadjust = FALSE.
crv3 <- function(formula, data, cluster) {
  fit <- lm(formula, data = data)
  cl <- data[[cluster]]
  list(
    coef = unname(coef(fit)),
    HC3_cadjust = unname(vcovCL(fit, cluster = cl, type = "HC3", cadjust = TRUE)),
    HC3_nocadjust = unname(vcovCL(fit, cluster = cl, type = "HC3", cadjust = FALSE)),
    G = length(unique(cl))
  )
}
reference$crv3 <- list(
  mtcars_gear = crv3(mpg ~ wt + hp, mtcars, "gear"),
  mtcars_carb = crv3(mpg ~ wt + qsec, mtcars, "carb")
)

writeLines(toJSON(reference, digits = NA, auto_unbox = TRUE, matrix = "rowmajor"), "reference.json")
writeLines(c(
  R.version.string,
  paste("sandwich", as.character(packageVersion("sandwich"))),
  paste("jsonlite", as.character(packageVersion("jsonlite"))),
  "command: Rscript make_reference.R (in tests/reference/glm_hc)"
), "versions.txt")
