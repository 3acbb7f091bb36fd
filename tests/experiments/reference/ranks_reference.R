# Reference values for the Hodges-Lehmann shift of cjmodels.experiments.mann_whitney
# (R 4.2.2, stats::wilcox.test).
#
#   cd tests/experiments/reference && Rscript ranks_reference.R
#
# writes ranks_table.csv (the data: a small sample without ties, "small", and a larger one
# rounded to 0.1 so that it has ties, "large") and ranks_reference.json.
set.seed(20251122)
x <- round(rlnorm(30, 1, 0.8), 6); y <- round(rlnorm(25, 1.3, 0.8), 6)
x2 <- round(rlnorm(200, 1, 0.8), 1); y2 <- round(rlnorm(180, 1.2, 0.8), 1)
d <- rbind(data.frame(sample = "small", variant = c(rep("c", 30), rep("t", 25)), y = c(x, y)),
           data.frame(sample = "large", variant = c(rep("c", 200), rep("t", 180)),
                      y = c(x2, y2)))
write.csv(d, "ranks_table.csv", row.names = FALSE)
d <- read.csv("ranks_table.csv")
s <- d[d$sample == "small", ]; l <- d[d$sample == "large", ]
res <- function(w) list(estimate = unname(w$estimate), ci = unname(as.numeric(w$conf.int)),
                        pvalue = w$p.value)
out <- list(
  small = res(wilcox.test(s$y[s$variant == "t"], s$y[s$variant == "c"], conf.int = TRUE,
                          exact = TRUE)),
  small_greater = res(wilcox.test(s$y[s$variant == "t"], s$y[s$variant == "c"],
                                  conf.int = TRUE, exact = TRUE, alternative = "greater")),
  small_90 = res(wilcox.test(s$y[s$variant == "t"], s$y[s$variant == "c"], conf.int = TRUE,
                             exact = TRUE, conf.level = 0.9)),
  large = res(wilcox.test(l$y[l$variant == "t"], l$y[l$variant == "c"], conf.int = TRUE,
                          exact = FALSE))
)
tojson <- function(x) {
  if (is.list(x)) {
    paste0("{", paste(sprintf("\"%s\": %s", names(x), sapply(x, tojson)), collapse = ", "), "}")
  } else if (length(x) == 1) {
    num(x)
  } else {
    paste0("[", paste(sapply(x, num), collapse = ", "), "]")
  }
}
num <- function(v) if (is.infinite(v)) (if (v > 0) "Infinity" else "-Infinity") else
  formatC(v, digits = 15, format = "g")
writeLines(tojson(out), "ranks_reference.json")
