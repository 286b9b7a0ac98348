// Go client for the polyglot test: ListModels, one streamed Generate, Embed.
// Usage: client HOST:PORT [CA_PEM [CERT_PEM KEY_PEM]]
// With CA_PEM the call uses TLS; with CERT_PEM and KEY_PEM too, mutual TLS.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	helixflowv1 "helixflow/gen/go/helixflow/v1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(s)
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	security := grpc.WithInsecure() // Debian's grpc-go predates credentials/insecure.
	if len(os.Args) > 2 {
		ca, err := os.ReadFile(os.Args[2])
		if err != nil {
			fail("tls", err)
		}
		config := &tls.Config{RootCAs: x509.NewCertPool()}
		if !config.RootCAs.AppendCertsFromPEM(ca) {
			fail("tls", fmt.Errorf("no certificates in %s", os.Args[2]))
		}
		if len(os.Args) > 4 {
			pair, err := tls.LoadX509KeyPair(os.Args[3], os.Args[4])
			if err != nil {
				fail("tls", err)
			}
			config.Certificates = []tls.Certificate{pair}
		}
		security = grpc.WithTransportCredentials(credentials.NewTLS(config))
	}
	conn, err := grpc.Dial(os.Args[1], security)
	if err != nil {
		fail("dial", err)
	}
	defer conn.Close()
	client := helixflowv1.NewInferenceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	models, err := client.ListModels(ctx, &helixflowv1.ListModelsRequest{})
	if err != nil {
		fail("ListModels", err)
	}
	if len(models.Models) == 0 {
		fail("ListModels", fmt.Errorf("no models"))
	}
	genModel, embedModel := models.Models[0].Id, models.Models[0].Id
	for _, m := range models.Models {
		fmt.Printf("MODEL %s\n", m.Id)
	}
	for _, m := range models.Models {
		if m.SupportsEmbed {
			embedModel = m.Id
			break
		}
	}

	stream, err := client.Generate(ctx, &helixflowv1.GenerateRequest{
		Model: genModel,
		Input: &helixflowv1.GenerateRequest_Prompt{Prompt: "The capital of France is"},
		Sampling: &helixflowv1.SamplingParams{
			MaxTokens:   proto.Uint32(8),
			Temperature: proto.Float32(0),
		},
	})
	if err != nil {
		fail("Generate", err)
	}
	var text strings.Builder
	deltas := 0
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail("Generate stream", err)
		}
		if d := msg.GetDelta(); d != nil {
			deltas++
			text.WriteString(d.Text)
		}
		if c := msg.GetComplete(); c != nil {
			fmt.Printf("DELTAS %d\n", deltas)
			fmt.Printf("TEXT %s\n", escape(text.String()))
			fmt.Printf("FINISH %s\n", c.FinishReason.String())
			u := c.GetUsage()
			fmt.Printf("USAGE prompt=%d completion=%d cached=%d\n", u.GetPromptTokens(), u.GetCompletionTokens(), u.GetCachedTokens())
		}
	}

	emb, err := client.Embed(ctx, &helixflowv1.EmbedRequest{Model: embedModel, Inputs: []string{"hello", "world"}})
	if err != nil {
		fail("Embed", err)
	}
	dim := 0
	if len(emb.Embeddings) > 0 {
		dim = len(emb.Embeddings[0].Values)
	}
	fmt.Printf("EMBED count=%d dim=%d\n", len(emb.Embeddings), dim)
	fmt.Println("DONE")
}
