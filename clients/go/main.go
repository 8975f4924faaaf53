// Calls the IAM-protected HTTP API from Go, signing with aws-sdk-go-v2's SigV4 signer (the
// seed's example, adapted). NOT TESTED in this project: these machines have no Go module
// proxy, so the SDK cannot be downloaded here. Run it where `go mod download` works:
//
//	cd clients/go && go mod init example.com/call && go get github.com/aws/aws-sdk-go-v2/config github.com/aws/aws-sdk-go-v2/aws/signer/v4
//	AWS_SHARED_CREDENTIALS_FILE=../../.iam-http-api/credentials AWS_PROFILE=viewer go run . GET http://127.0.0.1:3000/hello
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
