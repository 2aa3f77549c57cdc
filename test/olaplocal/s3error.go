package olaplocal

import (
	"encoding/xml"
	"fmt"
	"net/http"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// Error is an S3 error answer: the HTTP status, the code and message, and
// extra elements. It is the verifier's type, so its errors go out as they are.
type Error = sigv4.Error

func s3err(status int, code, msg string, extra ...[2]string) *Error {
	return &Error{Status: status, Code: code, Message: msg, Extra: extra}
}

// The errors S3 Object Lambda answers when the function misbehaves.
func errLambdaRuntime(msg string) *Error {
	return s3err(http.StatusInternalServerError, "LambdaRuntimeError", "The Lambda function failed during execution: "+msg)
}

func errLambdaTimeout() *Error {
	return s3err(http.StatusInternalServerError, "LambdaTimeout", "The Lambda function did not respond in the allowed time.")
}

func errLambdaNoResponse() *Error {
	return s3err(http.StatusInternalServerError, "LambdaResponseNotReceived",
		"The Lambda function exited without successfully calling WriteGetObjectResponse.")
}

func errLambdaInvalid(msg string) *Error {
	return s3err(http.StatusBadRequest, "LambdaInvalidResponse", "The Lambda function returned an invalid response: "+msg)
}

// writeError sends err as S3 does: XML body, except for HEAD which has none.
func writeError(w http.ResponseWriter, r *http.Request, requestID string, err *Error) {
	h := w.Header()
	h.Set("x-amz-request-id", requestID)
	h.Set("x-amz-id-2", hostID(requestID))
	if r.Method == http.MethodHead {
		w.WriteHeader(err.Status)
		return
	}
	body := errorXML(err, requestID)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(err.Status)
	_, _ = w.Write(body)
}

func errorXML(err *Error, requestID string) []byte {
	type elem struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	}
	doc := struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
		Extra   []elem
		Req     string `xml:"RequestId"`
		Host    string `xml:"HostId"`
	}{Code: err.Code, Message: err.Message, Req: requestID, Host: hostID(requestID)}
	for _, kv := range err.Extra {
		doc.Extra = append(doc.Extra, elem{XMLName: xml.Name{Local: kv[0]}, Value: kv[1]})
	}
	out, mErr := xml.Marshal(doc)
	if mErr != nil { // only fixed element names go in; keep the code if it ever happens
		out = []byte("<Error><Code>" + err.Code + "</Code></Error>")
	}
	return append([]byte(xml.Header), out...)
}
