// Calls the IAM-protected HTTP API from Go, signing with aws-sdk-go-v2's SigV4 signer (the
// seed's example, adapted). Tested by __tests__/clients/go.test.ts, which runs the offline recipe
// below as printed (Go 1.19 and aws-sdk-go-v2 1.17.1, Debian 12's) against a local gateway.
//
// Offline, in GOPATH mode, with Debian 12's golang-go and golang-github-aws-aws-sdk-go-v2-dev
// (`bash scripts/setup-go.sh` installs them; the SDK is in /usr/share/gocode), from the
// repository's root while `npm start` runs:
//
//	D="$(mktemp -d)" && mkdir -p "$D/src/call" && cp clients/go/main.go "$D/src/call/"
//	(cd "$D/src/call" && GO111MODULE=off GOPATH="$D:/usr/share/gocode" GOPROXY=off go build -o "$D/call" .)
//	AWS_SHARED_CREDENTIALS_FILE=.iam-http-api/credentials AWS_PROFILE=viewer "$D/call" GET http://127.0.0.1:3000/hello
//
// In module mode, where a Go module proxy is reachable:
//
//	cd clients/go && go mod init example.com/call && go get github.com/aws/aws-sdk-go-v2/config github.com/aws/aws-sdk-go-v2/aws/signer/v4
//	AWS_SHARED_CREDENTIALS_FILE=../../.iam-http-api/credentials AWS_PROFILE=viewer go run . GET http://127.0.0.1:3000/hello
//
// Usage: call METHOD URL [BODY]. A BODY is sent as application/json. It prints the status line
// and the body, and exits 0 for a 2xx answer, 1 for any other answer, 2 when it cannot ask.
//
// Temporary credentials work unchanged: config.LoadDefaultConfig reads AWS_SESSION_TOKEN (or a
// profile's aws_session_token, or a role profile) into aws.Credentials.SessionToken, and the v4
// signer sends it as X-Amz-Security-Token. With a session of the local STS (README, "Temporary
// credentials"): AWS_ACCESS_KEY_ID=ASIA... AWS_SECRET_ACCESS_KEY=... AWS_SESSION_TOKEN=... "$D/call" GET URL.
//
// What aws-sdk-go-v2's v4 signer does not do as AWS does (aws/signer/v4/v4.go, 1.17.1; see the
// README's Go section):
//   - It does not normalize the path: `.`/`..` segments and `//` are signed as written (AWS
//     removes them first). The local gateway refuses such paths with 400 anyway.
//   - It sorts repeated query values, and all query names, before percent-encoding them; AWS
//     sorts after. `?name=zoe&name=émile` is signed as `name=zoe&name=%C3%A9mile` where AWS
//     expects `name=%C3%A9mile&name=zoe`: 403. It then sends the query as it signed it (sorted,
//     re-encoded), so order otherwise does not matter.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: go run . METHOD URL [BODY]")
		os.Exit(2)
	}
	method, url := os.Args[1], os.Args[2]
	body := []byte{}
	if len(os.Args) > 3 {
		body = []byte(os.Args[3])
	}

	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "loading AWS config:", err)
		os.Exit(2)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "no AWS credentials:", err)
		os.Exit(2)
	}

	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	hash := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(hash[:]), "execute-api", cfg.Region, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "signing:", err)
		os.Exit(2)
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "request failed (is `npm start` running?):", err)
		os.Exit(2)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Proto, resp.Status)
	fmt.Println(string(out))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		os.Exit(1)
	}
}
