# Reference values for tests/markov/test_reference_r.py, computed with R's markovchain.
# Run: Rscript tests/markov/reference/markovchain_reference.R  (from the project root)
# Writes tests/markov/reference/markovchain_values.csv (name, row, col, value).
# R 4.x, markovchain 0.9.1 (Debian r-cran-markovchain).
suppressPackageStartupMessages(library(markovchain))
out <- list()
add <- function(name, m) {
  m <- as.matrix(m)
  rn <- if (is.null(rownames(m))) rep("", nrow(m)) else rownames(m)
  cn <- if (is.null(colnames(m))) rep("", ncol(m)) else colnames(m)
  for (i in seq_len(nrow(m))) for (j in seq_len(ncol(m)))
    out[[length(out) + 1]] <<- data.frame(name = name, row = rn[i], col = cn[j],
                                          value = sprintf("%.15g", m[i, j]))
}

# 1. An absorbing journey chain of our own (start, three stages, conversion, null).
s <- c("start", "a", "b", "c", "conv", "null")
P <- matrix(c(
  0, 0.7, 0.2, 0.1, 0,    0,
  0, 0.4, 0.3, 0.1, 0,    0.2,
  0, 0.1, 0.3, 0.4, 0.05, 0.15,
  0, 0,   0.2, 0.3, 0.3,  0.2,
  0, 0,   0,   0,   1,    0,
  0, 0,   0,   0,   0,    1), nrow = 6, byrow = TRUE, dimnames = list(s, s))
mc <- new("markovchain", states = s, transitionMatrix = P, name = "journey")
add("absorption", absorptionProbabilities(mc))
add("mean_absorption_time", t(meanAbsorptionTime(mc)))
tr <- transientStates(mc)
Q <- P[tr, tr]
add("fundamental", solve(diag(length(tr)) - Q))   # base R, N = (I - Q)^-1
add("hitting", hittingProbabilities(mc))

# 2. A recurrent (irreducible) chain: stationary distribution, first passage, recurrence.
r <- c("x", "y", "z")
R <- matrix(c(0.5, 0.3, 0.2,
              0.2, 0.6, 0.2,
              0.1, 0.4, 0.5), nrow = 3, byrow = TRUE, dimnames = list(r, r))
mr <- new("markovchain", states = r, transitionMatrix = R)
add("steady", steadyStates(mr))
add("first_passage", meanFirstPassageTime(mr))
add("recurrence", t(meanRecurrenceTime(mr)))

# 3. Maximum-likelihood fit from a list of sequences (each fitted separately, no transition
#    across sequences); the same journeys are in the test.
seqs <- list(c("start", "a", "b", "conv"), c("start", "a", "a", "null"),
             c("start", "b", "c", "conv"), c("start", "a", "b", "b", "null"),
             c("start", "c", "conv"), c("start", "b", "a", "null"))
fit <- markovchainFit(data = seqs, method = "mle")
add("mle", fit$estimate@transitionMatrix)

res <- do.call(rbind, out)
write.csv(res, "tests/markov/reference/markovchain_values.csv", row.names = FALSE)
