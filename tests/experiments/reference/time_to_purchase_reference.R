# Reference values for cjmodels.experiments.compare_time_to_purchase (R 4.2.2, survival 3.5-3).
#
#   cd tests/experiments/reference && Rscript time_to_purchase_reference.R
#
# Reads time_to_purchase_table.csv (made by make_time_to_purchase_data.py) and writes
# time_to_purchase_reference.json. The test suite reads the JSON and never needs R.
#
# * log-rank and G-rho tests: survival::survdiff(rho = 0) and survdiff(rho = 1) (the latter
#   weights by the pooled left-continuous Kaplan-Meier S(t-), i.e. Fleming-Harrington p=1, q=0);
# * Gehan-Wilcoxon (w = n at risk), Tarone-Ware (w = sqrt(n at risk)), Fleming-Harrington
#   p=0, q=1 (w = 1 - S(t-)) and Peto-Peto (w = prod_{t_i <= t_j} (1 - d_i / (Y_i + 1))):
#   computed by hand below from survfit()'s n.risk and n.event (survdiff has only the G-rho
#   family);
# * RMST by hand from survfit() (survRM2 is not installed): the area under the Kaplan-Meier
#   step function up to tau, with the variance sum_j A_j^2 d_j / (Y_j (Y_j - d_j)),
#   A_j = int_{t_j}^tau S (Klein & Moeschberger 2003, sec. 4.5; the formula of survRM2::rmst2).
suppressPackageStartupMessages(library(survival))
d <- read.csv("time_to_purchase_table.csv")
out <- list(meta = list(R = R.version.string, survival = as.character(packageVersion("survival"))))

two <- function(arm) {
  s <- d[d$variant %in% c("control", arm), ]
  s$g <- factor(s$variant, levels = c("control", arm))
  s
}
survdiff_res <- function(s, rho) {
  f <- survdiff(Surv(duration, event) ~ g, data = s, rho = rho)
  df <- length(f$n) - 1
  list(chisq = f$chisq, df = df, pvalue = pchisq(f$chisq, df, lower.tail = FALSE),
       obs = unname(f$obs), exp = unname(f$exp))
}
# weighted two-sample log-rank by hand: w(t_j) at each distinct event time
weighted <- function(s, wfun) {
  km <- survfit(Surv(duration, event) ~ 1, data = s)
  tt <- km$time[km$n.event > 0]
  Y <- km$n.risk[km$n.event > 0]; D <- km$n.event[km$n.event > 0]
  Sleft <- c(1, head(km$surv, -1))[km$n.event > 0]  # S(t-)
  arm <- s$g == levels(s$g)[2]
  Y1 <- sapply(tt, function(t) sum(s$duration[arm] >= t))
  D1 <- sapply(tt, function(t) sum(s$duration[arm] == t & s$event[arm] == 1))
  # NULL: Peto-Peto's modified survival estimate prod_{t_i <= t_j} (1 - D_i / (Y_i + 1))
  w <- if (is.null(wfun)) cumprod(1 - D / (Y + 1)) else wfun(Y, Sleft)
  U <- sum(w * (D1 - Y1 * D / Y))
  V <- sum(ifelse(Y > 1, w^2 * Y1 * (Y - Y1) * D * (Y - D) / (Y^2 * (Y - 1)), 0))
  list(chisq = U^2 / V, pvalue = pchisq(U^2 / V, 1, lower.tail = FALSE))
}
rmst_hand <- function(s, tau) {
  km <- survfit(Surv(duration, event) ~ 1, data = s)
  ev <- km$n.event > 0 & km$time <= tau
  tj <- km$time[ev]; Sj <- km$surv[ev]; Dj <- km$n.event[ev]; Yj <- km$n.risk[ev]
  widths <- diff(c(tj, tau))
  A <- rev(cumsum(rev(Sj * widths)))
  est <- (if (length(tj)) tj[1] + A[1] else tau)
  v <- sum(ifelse(Yj > Dj, A^2 * Dj / (Yj * (Yj - Dj)), 0))
  list(rmst = est, var = v)
}
tau <- 20
for (arm in c("treatment", "other")) {
  s <- two(arm)
  r <- list(logrank = survdiff_res(s, 0), rho1 = survdiff_res(s, 1),
            wilcoxon = weighted(s, function(Y, S) Y),
            tarone_ware = weighted(s, function(Y, S) sqrt(Y)),
            fh01 = weighted(s, function(Y, S) 1 - S),
            peto = weighted(s, NULL))
  a <- rmst_hand(s[s$g == arm, ], tau); c0 <- rmst_hand(s[s$g == "control", ], tau)
  diff <- a$rmst - c0$rmst; se <- sqrt(a$var + c0$var)
  r$rmst <- list(tau = tau, arm = a$rmst, control = c0$rmst, arm_var = a$var,
                 control_var = c0$var, diff = diff, ci_low = diff - qnorm(0.975) * se,
                 ci_high = diff + qnorm(0.975) * se, pvalue = 2 * pnorm(-abs(diff / se)))
  out[[arm]] <- r
}
d$g <- factor(d$variant, levels = c("control", "treatment", "other"))
out$overall <- list(logrank = survdiff_res(d, 0), rho1 = survdiff_res(d, 1))
# minimal JSON writer (jsonlite is not installed): numbers with 15 significant digits
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
writeLines(tojson(out), "time_to_purchase_reference.json")
