# Reference values for tests/markov/test_lifecycle.py, computed with R's markovchain.
# Run: Rscript tests/markov/reference/lifecycle_reference.R  (from the project root)
# Writes tests/markov/reference/lifecycle_values.csv (name, row, col, value).
# R 4.x, markovchain 0.9.x (Debian r-cran-markovchain).
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

# A small life-cycle chain of our own: two pre-purchase stages, the purchase, one post-purchase
# stage that may re-enter stage b, and leaving (null).
s <- c("start", "a", "b", "purchase", "post", "null")
P <- matrix(c(
  0, 0.8, 0.2, 0,   0,   0,
  0, 0.3, 0.4, 0,   0,   0.3,
  0, 0.1, 0.3, 0.3, 0,   0.3,
  0, 0,   0,   0,   0.9, 0.1,
  0, 0,   0.25, 0,  0.45, 0.3,
  0, 0,   0,   0,   0,   1), nrow = 6, byrow = TRUE, dimnames = list(s, s))

# 1. Leaving absorbs: probability of ever reaching a state at a step >= 1 (repeat purchase is
#    hitting[purchase, purchase]; first purchase is hitting[start, purchase]).
mc <- new("markovchain", states = s, transitionMatrix = P, name = "lifecycle")
add("hitting", hittingProbabilities(mc))

# 2. Restart: leaving returns to start, so the chain is irreducible.
R <- P
R["null", ] <- 0
R["null", "start"] <- 1
mr <- new("markovchain", states = s, transitionMatrix = R, name = "restart")
add("steady", steadyStates(mr))
add("recurrence", t(meanRecurrenceTime(mr)))
add("first_passage", meanFirstPassageTime(mr))

# 3. Expected steps to the next purchase given that it happens, by the Doob h-transform in base
#    R (markovchain has no conditional passage time): h = P(reach purchase) from each state,
#    Q*_ij = P_ij h_j / h_i on the states that can reach it, E[T | reach] = 1 + (N* 1)
#    averaged over the first step.
tgt <- "purchase"
h <- hittingProbabilities(mc)[, tgt]
C <- c("a", "b", "post")                       # states that can reach the purchase (not itself)
Qs <- P[C, C] * outer(1 / h[C], h[C])
Ns <- solve(diag(length(C)) - Qs)
steps_from <- rowSums(Ns)                       # E[steps to purchase | reach] from each of C
# from the purchase: first step to j with prob P[tgt, j] h_j / h_tgt, then steps_from[j]
w <- P[tgt, C] * h[C] / sum(P[tgt, C] * h[C] + P[tgt, tgt])
rep_steps <- 1 + sum(w * steps_from)
add("repeat_steps", matrix(rep_steps, dimnames = list("purchase", "purchase")))
add("steps_given", matrix(steps_from, nrow = 1, dimnames = list("", C)))

# 4. Maximum-likelihood fit from customers' whole sequences (each fitted separately, no
#    transition across customers); the same sequences are in the test.
seqs <- list(c("start", "a", "b", "purchase", "post", "b", "purchase", "null"),
             c("start", "a", "a", "null"),
             c("start", "b", "purchase", "post", "post", "null"),
             c("start", "a", "b", "b", "purchase", "null"),
             c("start", "b", "a", "b", "purchase", "post", "b", "null"))
fit <- markovchainFit(data = seqs, method = "mle")
add("mle", fit$estimate@transitionMatrix)

res <- do.call(rbind, out)
write.csv(res, "tests/markov/reference/lifecycle_values.csv", row.names = FALSE)
