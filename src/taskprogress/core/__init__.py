"""Pure logic with no I/O: stage arithmetic and the GetTaskProgress tree. Tested without a database."""
