# Reference values for the group-sequential boundaries and sample sizes of
# cjmodels.experiments (R 4.2.2 with rpact 3.3.4 and stats::power.prop.test).
#
#   cd tests/experiments/reference && Rscript sequential_power_reference.R
#
# writes sequential_power_reference.json; the test suite reads it and never needs R.
suppressPackageStartupMessages(library(rpact))
out <- list(meta = list(R = R.version.string, rpact = as.character(packageVersion("rpact"))))

gs <- function(...) {
  d <- getDesignGroupSequential(...)
  ch <- getDesignCharacteristics(d)  # beta = 0.2 by default
  list(critical = d$criticalValues, alpha_spent = d$alphaSpent,
       inflation = ch$inflationFactor)
}
# two-sided alpha 0.05, equally spaced looks
out$obf3 <- gs(kMax = 3, alpha = 0.05, sided = 2, typeOfDesign = "OF")
out$pocock3 <- gs(kMax = 3, alpha = 0.05, sided = 2, typeOfDesign = "P")
out$pocock5 <- gs(kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "P")
out$asOF5 <- gs(kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "asOF")
# arbitrary information times: Lan-DeMets Pocock-type and Kim-DeMets power family (rho = 3)
info <- c(0.2, 0.45, 0.7, 1)
out$asP_info <- gs(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "asP",
                   informationRates = info)
out$asKD3_info <- gs(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "asKD", gammaA = 3,
                     informationRates = info)
out$asOF_info <- gs(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "asOF",
                    informationRates = info)
# one-sided 0.025, linear spending (Kim-DeMets rho = 1)
out$asKD1_one <- gs(kMax = 4, alpha = 0.025, sided = 1, typeOfDesign = "asKD", gammaA = 1)

# sample size and power of the pooled two-proportion z-test (Fleiss), 10% -> 12%
out$n_10_12 <- power.prop.test(p1 = 0.10, p2 = 0.12, power = 0.8)$n
out$n_10_13_90 <- power.prop.test(p1 = 0.10, p2 = 0.13, power = 0.9, sig.level = 0.01)$n
out$power_10_12_n3000 <- power.prop.test(p1 = 0.10, p2 = 0.12, n = 3000, strict = TRUE)$power
out$n_one_sided <- power.prop.test(p1 = 0.10, p2 = 0.12, power = 0.8,
                                   alternative = "one.sided")$n

tojson <- function(x) {
  if (is.list(x)) {
    paste0("{", paste(sprintf("\"%s\": %s", names(x), sapply(x, tojson)), collapse = ", "), "}")
  } else if (is.character(x)) {
    sprintf("\"%s\"", x)
  } else if (length(x) == 1) {
    formatC(x, digits = 15, format = "g")
  } else {
    paste0("[", paste(formatC(x, digits = 15, format = "g"), collapse = ", "), "]")
  }
}
writeLines(tojson(out), "sequential_power_reference.json")
