package canonical

// Handler receives what a format reader finds, in file order. Returning an
// error from Record or Reject stops the reader, which returns that error.
type Handler interface {
	// Record is one canonical row.
	Record(rec Record) error
	// Reject is a row, member or whole transaction that cannot be loaded.
	Reject(rej Reject) error
	// Warn reports something odd that did not stop any row from loading.
	Warn(msg string)
}

// TransactionHandler is a Handler that also wants to know which transaction
// records belong to (X12 834): Transaction is called before the records of
// each transaction, with a text that orders it among the file's others by
// when it was sent, so that a later one can supersede an earlier one.
type TransactionHandler interface {
	Handler
	Transaction(order string)
}
