# Reference values from R for the discrete-time, counting-process and cure-model tests
# (run from this folder after make_extra_inputs.py):  Rscript make_r_reference_extra.R
# Writes r_reference_extra.json and touch_log_tmerge.csv. R 4.2.2, survival 3.5-3 (recorded).
suppressMessages({library(survival); library(jsonlite)})
out <- list(R = R.version.string, survival = as.character(packageVersion("survival")))

# --- discrete-time survival: person-period data by survSplit, binomial GLM per link
dt <- read.csv("discrete_time.csv")
pp <- survSplit(Surv(entry, duration, event) ~ ., data = dt, cut = 1:29, episode = "interval")
glm_ref <- function(link) {
  f <- glm(event ~ 0 + factor(duration) + x1 + x2, family = binomial(link = link), data = pp)
  cf <- summary(f)$coefficients
  list(coef = unname(cf[c("x1", "x2"), 1]), se = unname(cf[c("x1", "x2"), 2]),
       loglik = as.numeric(logLik(f)), n_rows = nrow(pp),
       baseline = unname(coef(f)[grep("factor", names(coef(f)))]),
       baseline_time = as.numeric(sub("factor\\(duration\\)", "",
                                      names(coef(f))[grep("factor", names(coef(f)))])))
}
out$discrete_cloglog <- glm_ref("cloglog")
out$discrete_logit <- glm_ref("logit")
cx <- coxph(Surv(entry, duration, event) ~ x1 + x2, data = dt)
out$discrete_cox <- list(coef = unname(coef(cx)), se = unname(sqrt(diag(vcov(cx)))))

# --- counting process from an event log: tmerge with cumulative touch counts
lg <- read.csv("touch_log.csv")
ids <- sort(unique(lg$customer_id))
first <- lg[!duplicated(lg$customer_id), ]
first <- first[match(ids, first$customer_id), ]
conv <- lg[lg$event == "conversion", ]
conv <- conv[!duplicated(conv$customer_id), ]
tbuy <- conv$timestamp[match(ids, conv$customer_id)]
base <- data.frame(id = ids, origin = first$first_seen, segment = first$segment)
base$entry <- pmax(20 - base$origin, 0)
base$event <- as.integer(!is.na(tbuy))
base$stop <- ifelse(is.na(tbuy), 120, tbuy) - base$origin
tch <- lg[lg$event == "touch", ]
tch <- data.frame(id = tch$customer_id, time = tch$timestamp - base$origin[match(tch$customer_id, ids)])
d1 <- tmerge(base[, c("id", "segment")], base, id = id, purchase = event(stop, event),
             tstart = entry, tstop = stop)
d2 <- tmerge(d1, tch, id = id, touches = cumtdc(time))
# times are on a 0.01-day grid; differences like 67.68 - 62.51 carry float noise that would
# break ties at random, so the times are rounded to 1e-8 before the Cox fit (as in the test)
d2$tstart <- round(d2$tstart, 8)
d2$tstop <- round(d2$tstop, 8)
write.csv(d2[, c("id", "tstart", "tstop", "purchase", "touches", "segment")],
          "touch_log_tmerge.csv", row.names = FALSE)
ct <- coxph(Surv(tstart, tstop, purchase) ~ touches + segment, data = d2)
out$tmerge_cox <- list(coef = unname(coef(ct)), se = unname(sqrt(diag(vcov(ct)))),
                       loglik = ct$loglik, n_rows = nrow(d2))

# --- Fine-Gray for purchase on competing_risks.csv: finegray() + weighted coxph. vcov() of
# that fit is the per-row robust variance (the default for non-integer weights); naive.var is
# the model-based one, and cluster = id the robust variance clustered by customer.
cr <- read.csv("competing_risks.csv")
cr$id <- seq_len(nrow(cr))
cr$ev <- factor(cr$cause, 0:2, labels = c("censor", "purchase", "drop_out"))
fg <- finegray(Surv(time, ev) ~ ., data = cr, etype = "purchase")
ffg <- coxph(Surv(fgstart, fgstop, fgstatus) ~ group + x, weights = fgwt, data = fg)
ffc <- coxph(Surv(fgstart, fgstop, fgstatus) ~ group + x, weights = fgwt, data = fg,
             cluster = id)
out$fine_gray <- list(coef = unname(coef(ffg)), se_rowwise_robust = unname(sqrt(diag(vcov(ffg)))),
                      naive_se = unname(sqrt(diag(ffg$naive.var))),
                      cluster_id_se = unname(sqrt(diag(vcov(ffc)))), loglik = ffg$loglik)

if (file.exists("cure.csv")) {
  # --- mixture cure model (logistic cure, Weibull latency): no cure package is installed
  # (smcure, flexsurvcure unavailable), so the likelihood is written out here independently
  # and maximised by optim (BFGS), standard errors from optimHess.
  cu <- read.csv("cure.csv")
  Z <- cbind(1, cu$z)
  X <- cbind(1, cu$x)
  nll <- function(p) {
    g <- p[1:2]; b <- p[3:4]; rho <- exp(p[5])
    pc <- plogis(drop(Z %*% g))            # probability of never buying (cured)
    lam <- exp(drop(X %*% b))              # Weibull scale (AFT form)
    su <- exp(-(cu$time / lam)^rho)
    fu <- dweibull(cu$time, shape = rho, scale = lam)
    -sum(ifelse(cu$event == 1, log(1 - pc) + log(fu), log(pc + (1 - pc) * su)))
  }
  fit <- optim(c(0, 0, log(mean(cu$time)), 0, 0), nll, method = "BFGS",
               control = list(reltol = 1e-14, maxit = 10000))
  H <- optimHess(fit$par, nll)
  out$cure_weibull <- list(par = fit$par, se = sqrt(diag(solve(H))), loglik = -fit$value,
                           names = c("cure_intercept", "cure_z", "scale_intercept", "scale_x",
                                     "log_shape"), convergence = fit$convergence)
}
writeLines(toJSON(out, digits = I(15), auto_unbox = TRUE, pretty = TRUE), "r_reference_extra.json")
cat("wrote r_reference_extra.json\n")
