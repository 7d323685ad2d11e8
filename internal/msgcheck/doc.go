// Package msgcheck holds only a test: it walks every string literal of the
// module's programs and libraries (cmd/ and pkg/) and fails on Go
// identifiers a lab user cannot act on — "Config.", "Init()", and the
// field names of our configuration structs — because user-facing messages
// name flags, parameters and files instead (brief: principle 3).
package msgcheck
