# R's rstandard/rstudent of quasi-likelihood GLMs (quasipoisson, quasibinomial), whose
# dispersion is estimated: torchstats' Poisson/Binomial fits with scale="X2".
# Data: ../glm_r/data.csv. Run from this folder:  Rscript make_reference.R
library(jsonlite)
d <- read.csv("../glm_r/data.csv")
d$g <- factor(d$g)
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
qp <- glm(yc ~ g + x1, family = quasipoisson(), offset = log(expo), data = d, control = ctrl)
qb <- glm(cbind(s, f) ~ g + x1, family = quasibinomial(), data = d, control = ctrl)
out <- function(m) list(
  coef = unname(coef(m)),
  dispersion = summary(m)$dispersion,
  rstandard = unname(rstandard(m)),
  rstudent = unname(rstudent(m))
)
writeLines(toJSON(list(quasipoisson = out(qp), quasibinomial = out(qb),
                       R = R.version.string), digits = NA, auto_unbox = TRUE),
           "reference.json")
