# Reference values from R survival for tests/survival (run from this folder):
#   Rscript make_r_reference.R
# Writes r_reference.json. R 4.2.2, survival 3.5-3 (recorded in the output).
# lung: survival's lung data; lifelines ships the same table (lifelines.datasets.load_lung,
# status recoded 1 = dead, 0 = censored), so status here is recoded the same way.
suppressMessages({library(survival); library(jsonlite)})
out <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
lung2 <- survival::lung
lung2$status <- lung2$status - 1
times <- c(100, 200, 365.25, 500, 750, 1000)

km_at <- function(fit, times) {
  s <- summary(fit, times = times, extend = TRUE)
  list(time = s$time, n_risk = s$n.risk, surv = s$surv, std_err = s$std.err,
       lower = s$lower, upper = s$upper, cumhaz = s$cumhaz, std_chaz = s$std.chaz)
}
med <- function(fit) {
  q <- quantile(fit, probs = 0.5)
  list(median = unname(q$quantile), median_lower = unname(q$lower), median_upper = unname(q$upper))
}

# --- Kaplan-Meier, log (R default) and log-log intervals; Nelson-Aalen cumulative hazard
f_log <- survfit(Surv(time, status) ~ 1, data = lung2)  # conf.type = "log"
f_ll <- survfit(Surv(time, status) ~ 1, data = lung2, conf.type = "log-log")
f_pl <- survfit(Surv(time, status) ~ 1, data = lung2, conf.type = "plain")
out$km_log <- c(km_at(f_log, times), med(f_log))
out$km_loglog <- c(km_at(f_ll, times), med(f_ll))
out$km_plain <- c(km_at(f_pl, times), med(f_pl))
# restricted mean survival time to 730 days (print(fit, rmean = 730))
rm <- summary(f_log, rmean = 730)$table
out$rmst_730 <- list(rmean = unname(rm["rmean"]), se = unname(rm["se(rmean)"]))

# --- by sex: at-risk counts, medians; log-rank test
f_sex <- survfit(Surv(time, status) ~ sex, data = lung2)
s <- summary(f_sex, times = c(0, 250, 500, 750, 1000), extend = TRUE)
out$by_sex <- list(strata = as.character(s$strata), time = s$time, n_risk = s$n.risk,
                   surv = s$surv, median = unname(quantile(f_sex, 0.5)$quantile[, 1]))
sd <- survdiff(Surv(time, status) ~ sex, data = lung2)
out$logrank_sex <- list(chisq = sd$chisq, observed = sd$obs, expected = sd$exp,
                        pvalue = pchisq(sd$chisq, 1, lower.tail = FALSE))

# --- Cox models
cox <- function(fit) {
  list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))), loglik = fit$loglik,
       names = names(coef(fit)), concordance = unname(fit$concordance["concordance"]),
       concordance_se = unname(sqrt(fit$concordance["std"]^2)))
}
out$cox_efron <- cox(coxph(Surv(time, status) ~ age + sex, data = lung2, ties = "efron"))
out$cox_breslow <- cox(coxph(Surv(time, status) ~ age + sex, data = lung2, ties = "breslow"))
out$cox_strata <- cox(coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung2))
l3 <- lung2[!is.na(lung2$inst), ]
fc <- coxph(Surv(time, status) ~ age + sex, data = l3, cluster = inst)
out$cox_cluster <- c(cox(fc), list(naive_se = unname(sqrt(diag(fc$naive.var)))))
lung2$w <- 1 + (seq_len(nrow(lung2)) %% 3)
out$cox_weights <- cox(coxph(Surv(time, status) ~ age + sex, data = lung2, weights = w))
zph <- cox.zph(coxph(Surv(time, status) ~ age + sex, data = lung2), transform = "rank",
               terms = FALSE)
out$cox_zph_rank <- list(chisq = unname(zph$table[, "chisq"]), p = unname(zph$table[, "p"]),
                         names = rownames(zph$table))

# --- AFT (survreg): coefficients on log time, log(scale), log-likelihood
aft <- function(dist) {
  f <- survreg(Surv(time, status) ~ age + sex, data = lung2, dist = dist)
  list(coef = unname(coef(f)), names = names(coef(f)), log_scale = log(f$scale),
       loglik = f$loglik[2], se = unname(sqrt(diag(vcov(f)))))
}
out$aft_weibull <- aft("weibull")
out$aft_loglogistic <- aft("loglogistic")
out$aft_lognormal <- aft("lognormal")

# --- competing risks: Aalen-Johansen cumulative incidence (multi-state survfit)
cr <- read.csv("competing_risks.csv")
cr$ev <- factor(cr$cause, 0:2, labels = c("censor", "purchase", "drop_out"))
fa <- survfit(Surv(time, ev) ~ 1, data = cr)
sa <- summary(fa, times = c(10, 30, 60, 90, 110), extend = TRUE)
idx <- match(c("purchase", "drop_out"), sa$states)
out$aalen_johansen <- list(time = sa$time, states = c("purchase", "drop_out"),
                           cif = sa$pstate[, idx], std_err = sa$std.err[, idx],
                           lower = sa$lower[, idx], upper = sa$upper[, idx])
# cause-specific Cox for purchase (drop-outs censored)
out$cause_specific_cox <- cox(coxph(Surv(time, cause == 1) ~ group + x, data = cr))
# Fine-Gray subdistribution hazard for purchase via finegray() + weighted coxph
fg <- finegray(Surv(time, ev) ~ ., data = cr, etype = "purchase")
ffg <- coxph(Surv(fgstart, fgstop, fgstatus) ~ group + x, weights = fgwt, data = fg)
out$fine_gray <- list(coef = unname(coef(ffg)), se = unname(sqrt(diag(vcov(ffg)))))

# --- left truncation: (entry, stop] risk sets
lt <- read.csv("left_truncated.csv")
flt <- survfit(Surv(entry, stop, event) ~ 1, data = lt)
out$left_truncated_km <- km_at(flt, c(10, 20, 40, 60, 90))
out$left_truncated_cox <- cox(coxph(Surv(entry, stop, event) ~ x, data = lt))

# --- time-varying covariate in counting-process form
cp <- read.csv("counting_process.csv")
out$time_varying_cox <- cox(coxph(Surv(start, stop, event) ~ touches, data = cp, cluster = id))
out$time_varying_cox$naive_se <- unname(sqrt(diag(coxph(Surv(start, stop, event) ~ touches,
                                                        data = cp)$var)))

writeLines(toJSON(out, digits = I(15), auto_unbox = TRUE, pretty = TRUE), "r_reference.json")
cat("wrote r_reference.json\n")
