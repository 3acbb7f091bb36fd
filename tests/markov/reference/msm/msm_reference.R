# Reference values for cjmodels.markov.multistate from R's msm (Jackson 2011, JSS 38(8)).
#
# Run from the repository root:
#   Rscript tests/markov/reference/msm/msm_reference.R
# It writes
#   datasets/cav/cav.csv                              (msm's cav data, GPL (>= 2), see its README)
#   tests/markov/reference/msm/cav_censored.csv       (cav with the last alive state censored)
#   tests/markov/reference/msm/msm_values.json        (every value the tests compare with)
#   tests/markov/reference/msm/msm_reference.Rout.txt (the printed output, by R CMD BATCH style sink)
# The models are those of the msm manual (vignette "msm-manual", section 2), msm 1.7, R 4.2.
suppressPackageStartupMessages(library(msm))
out_dir <- "tests/markov/reference/msm"
sink(file.path(out_dir, "msm_reference.Rout.txt"), split = TRUE)
cat("msm", as.character(packageVersion("msm")), "on", R.version.string, "\n")

write.csv(cav, "datasets/cav/cav.csv", row.names = FALSE)

Q <- rbind(c(0, 0.25, 0, 0.25),
           c(0.166, 0, 0.166, 0.166),
           c(0, 0.25, 0, 0.25),
           c(0, 0, 0, 0))
vals <- list()
mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ])))

## Model 1 of the manual: cav.msm
cav.msm <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q, deathexact = 4)
print(cav.msm)
qm <- qmatrix.msm(cav.msm)
print(qm)
pm <- pmatrix.msm(cav.msm, t = 10)
print(pm)
sj <- sojourn.msm(cav.msm)
print(sj)
tl <- totlos.msm(cav.msm)
print(tl)
ef <- efpt.msm(cav.msm, tostate = 4)
print(ef)
ef3 <- efpt.msm(cav.msm, tostate = 3)
print(ef3)
set.seed(1)
pmci <- pmatrix.msm(cav.msm, t = 10, ci = "normal", B = 20000)
print(pmci)
qr <- qratio.msm(cav.msm, ind1 = c(2, 1), ind2 = c(1, 2))
print(qr)
tl5 <- totlos.msm(cav.msm, tot = 5)
print(tl5)
prev <- prevalence.msm(cav.msm, times = seq(0, 20, 2))
print(prev)
qcrude <- crudeinits.msm(state ~ years, PTNUM, data = cav, qmatrix = Q)
print(qcrude)
vals$cav <- list(
  prevalence_observed = mat(prev$Observed[, 1:4]),
  prevalence_expected = mat(prev$Expected[, 1:4]),
  crudeinits = mat(qcrude),
  minus2loglik = cav.msm$minus2loglik,
  estimates = as.numeric(cav.msm$estimates),
  covmat = mat(cav.msm$covmat),
  qmatrix = mat(qm$estimates), qmatrix_se = mat(qm$SE),
  qmatrix_low = mat(qm$L), qmatrix_high = mat(qm$U),
  pmatrix10 = mat(pm), pmatrix1 = mat(pmatrix.msm(cav.msm, t = 1)),
  pmatrix10_low = mat(pmci$L), pmatrix10_high = mat(pmci$U),
  sojourn = sj$estimates, sojourn_se = sj$SE, sojourn_low = sj$L, sojourn_high = sj$U,
  totlos = as.numeric(tl[1:3]), totlos5 = as.numeric(tl5),
  efpt4 = as.numeric(ef[1:3]), efpt3 = as.numeric(ef3[1:2]),
  qratio = as.numeric(qr)
)

## Model 1 again, optimised to convergence (msm's default stops at reltol 1e-8 of -2LL; the
## poorly identified 2-4 intensity still moves in the 4th digit). Same maximum, tighter optimum.
cavtight.msm <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q, deathexact = 4,
                    control = list(reltol = 1e-16, maxit = 10000))
print(cavtight.msm$minus2loglik, digits = 12)
print(cavtight.msm$estimates, digits = 10)
vals$cav_tight <- list(minus2loglik = cavtight.msm$minus2loglik,
                       estimates = as.numeric(cavtight.msm$estimates),
                       covmat = mat(cavtight.msm$covmat),
                       sojourn_se = sojourn.msm(cavtight.msm)$SE)

## Model 2 of the manual: sex on every intensity
cavsex.msm <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q, deathexact = 4,
                  covariates = ~ sex)
print(cavsex.msm)
hz <- hazard.msm(cavsex.msm)
print(hz)
q0 <- qmatrix.msm(cavsex.msm, covariates = list(sex = 0))
q1 <- qmatrix.msm(cavsex.msm, covariates = list(sex = 1))
print(q0); print(q1)
lr <- lrtest.msm(cav.msm, cavsex.msm)
print(lr)
vals$cavsex <- list(
  minus2loglik = cavsex.msm$minus2loglik,
  estimates = as.numeric(cavsex.msm$estimates),
  covmeans = as.numeric(cavsex.msm$qcmodel$covmeans),
  qmatrix_mean = mat(qmatrix.msm(cavsex.msm)$estimates),
  hr = as.numeric(hz$sex[, 1]), hr_low = as.numeric(hz$sex[, 2]),
  hr_high = as.numeric(hz$sex[, 3]),
  qmatrix_male = mat(q0$estimates), qmatrix_male_low = mat(q0$L), qmatrix_male_high = mat(q0$U),
  qmatrix_female = mat(q1$estimates),
  lrtest = as.numeric(lr[1, ])
)

## Model 2a: sex on 1-2 and 1-4 only
cavsex2.msm <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q, deathexact = 4,
                   covariates = list("1-2" = ~ sex, "1-4" = ~ sex))
print(cavsex2.msm)
vals$cavsex2 <- list(minus2loglik = cavsex2.msm$minus2loglik,
                     estimates = as.numeric(cavsex2.msm$estimates),
                     hr = as.numeric(hazard.msm(cavsex2.msm)$sex[, 1]))

## Without deathexact (death treated as a panel observation)
cavpanel.msm <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q)
print(cavpanel.msm)
vals$cav_panel <- list(minus2loglik = cavpanel.msm$minus2loglik,
                       estimates = as.numeric(cavpanel.msm$estimates))

## Censored states: the last observation of every patient still alive is only known to be
## "alive" (state 1, 2 or 3), coded 99 (msm: censor = 99, censor.states = c(1, 2, 3)).
cavc <- cav
last <- !duplicated(cavc$PTNUM, fromLast = TRUE)
cavc$state[last & cavc$state != 4] <- 99
# and one intermediate observation in every tenth patient, to exercise the forward algorithm
ids <- unique(cavc$PTNUM)[seq(1, length(unique(cavc$PTNUM)), by = 10)]
for (id in ids) {
  rows <- which(cavc$PTNUM == id)
  if (length(rows) >= 4) cavc$state[rows[2]] <- 99
}
write.csv(cavc[, c("PTNUM", "years", "state", "sex")], file.path(out_dir, "cav_censored.csv"),
          row.names = FALSE)
cavcens.msm <- msm(state ~ years, subject = PTNUM, data = cavc, qmatrix = Q, deathexact = 4,
                   censor = 99, censor.states = c(1, 2, 3))
print(cavcens.msm)
vals$cav_censored <- list(minus2loglik = cavcens.msm$minus2loglik,
                          estimates = as.numeric(cavcens.msm$estimates))

## Exact transition times (exacttimes = TRUE): every observed change is taken as a jump at the
## recorded time. cav has 1-3 and 3-1 jumps, so all moves between the living states are allowed.
Qfull <- rbind(c(0, 0.1, 0.1, 0.1),
               c(0.1, 0, 0.1, 0.1),
               c(0.1, 0.1, 0, 0.1),
               c(0, 0, 0, 0))
cavexact.msm <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Qfull,
                    exacttimes = TRUE)
print(cavexact.msm)
vals$cav_exact <- list(minus2loglik = cavexact.msm$minus2loglik,
                       estimates = as.numeric(cavexact.msm$estimates))

## Log-likelihood at the manual's initial values (no optimisation), for the likelihood itself
cav0.msm <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q, deathexact = 4,
                fixedpars = TRUE)
vals$cav_init <- list(minus2loglik = cav0.msm$minus2loglik)
cat("-2LL at the initial values:", cav0.msm$minus2loglik, "\n")

sink()
# a tiny JSON writer (jsonlite is not installed here): numbers with 15 significant digits
to_json <- function(v) {
  if (is.list(v)) {
    if (!is.null(names(v))) {
      paste0("{", paste0('"', names(v), '": ', vapply(v, to_json, ""), collapse = ", "), "}")
    } else paste0("[", paste(vapply(v, to_json, ""), collapse = ", "), "]")
  } else if (length(v) == 1 && is.null(dim(v))) {
    if (is.infinite(v)) '"Inf"' else formatC(v, digits = 15, format = "g")
  } else paste0("[", paste(vapply(as.list(v), to_json, ""), collapse = ", "), "]")
}
writeLines(to_json(vals), file.path(out_dir, "msm_values.json"))
