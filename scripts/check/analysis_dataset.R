# Checks an analysis dataset's R loader (`scaleup export dataset`) against its own files:
# sources the generated <name>.R in the dataset's folder, then compares what it loaded with the
# raw CSV and the data dictionary. Base R only. Exits non-zero with one line per problem.
#
#   Rscript scripts/check/analysis_dataset.R FOLDER NAME
#
# Checked, for every variable of the dictionary:
#   - the loaded data has the CSV's rows and the dictionary's variables, in order;
#   - its "label" attribute is the dictionary's label, and "units" its units where given;
#   - a variable with codes is a factor whose levels are the codes' labels, in order, and no
#     non-empty cell became NA (every value in the data has a label);
#   - a date is of class Date and no non-empty cell became NA;
#   - an integer or number is numeric and no non-empty cell became NA;
#   - a value that was protected against spreadsheet formulas (a leading ') is given back as
#     written (the loader strips the quote).
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript analysis_dataset.R FOLDER NAME")
folder <- args[1]
name <- args[2]
setwd(folder)
env <- new.env()
sys.source(paste0(name, ".R"), envir = env)
object <- gsub("[^A-Za-z0-9_]", "_", name)
if (!exists(object, envir = env)) stop(sprintf("the loader made no data frame called %s", object))
data <- get(object, envir = env)
raw <- read.csv(paste0(name, ".csv"), colClasses = "character", na.strings = character(0),
                stringsAsFactors = FALSE, encoding = "UTF-8")
dict <- read.csv(paste0(name, "_dictionary.csv"), colClasses = "character",
                 na.strings = character(0), stringsAsFactors = FALSE, encoding = "UTF-8")
problems <- character(0)
problem <- function(...) problems <<- c(problems, sprintf(...))

if (nrow(data) != nrow(raw)) problem("rows: loaded %d, the CSV has %d", nrow(data), nrow(raw))
if (!identical(names(data), dict$variable)) problem("variables differ from the dictionary's")
for (i in seq_len(nrow(dict))) {
  v <- dict$variable[i]
  if (!v %in% names(data)) next
  x <- data[[v]]
  filled <- raw[[v]] != ""
  label <- attr(x, "label")
  if (is.null(label) || label != dict$label[i]) problem("%s: label is not the dictionary's", v)
  if (dict$units[i] != "" && !identical(attr(x, "units"), dict$units[i]))
    problem("%s: units are not the dictionary's", v)
  if (dict$codes[i] != "") {
    pairs <- strsplit(strsplit(dict$codes[i], " | ", fixed = TRUE)[[1]], "=", fixed = TRUE)
    labels <- vapply(pairs, function(p) paste(p[-1], collapse = "="), "")
    if (!is.factor(x)) problem("%s: coded, but not a factor", v)
    else if (!identical(levels(x), labels)) problem("%s: levels are not the codes' labels", v)
    if (any(is.na(x[filled]))) problem("%s: %d coded value(s) without a label became NA", v, sum(is.na(x[filled])))
  } else if (dict$type[i] == "date") {
    if (!inherits(x, "Date")) problem("%s: a date, but of class %s", v, class(x)[1])
    if (any(is.na(x[filled]))) problem("%s: %d date(s) did not parse", v, sum(is.na(x[filled])))
  } else if (dict$type[i] %in% c("integer", "number")) {
    if (!is.numeric(x)) problem("%s: a number, but of class %s", v, class(x)[1])
    if (any(is.na(x[filled]))) problem("%s: %d number(s) did not parse", v, sum(is.na(x[filled])))
  } else if (is.character(x)) {
    expected <- sub("^'([=+@\t\r-])", "\\1", raw[[v]])
    expected[!filled] <- NA
    plain <- x
    attributes(plain) <- NULL
    if (!identical(plain, expected)) problem("%s: text differs from the CSV's", v)
  }
}
if (length(problems) > 0) {
  cat(paste0(name, ": ", problems, "\n"), sep = "")
  quit(status = 1)
}
cat(sprintf("%s: %d rows, %d variables loaded with labels, codes, dates and numbers as the dictionary says\n",
            name, nrow(data), ncol(data)))
