// TypeScript client for the polyglot test: ListModels, one streamed Generate, Embed.
// Usage: node client.js HOST:PORT [CA_PEM [CERT_PEM KEY_PEM]]
// With CA_PEM the call uses TLS; with CERT_PEM and KEY_PEM too, mutual TLS.
import { readFileSync } from "node:fs";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { finishReasonToJSON } from "../../../gen/ts/helixflow/v1/common";
import {
  EmbedRequest,
  EmbedResponse,
  GenerateRequest,
  GenerateResponse,
  InferenceClient,
  ListModelsRequest,
  ListModelsResponse,
} from "../../../gen/ts/helixflow/v1/inference";

const escape = (text: string): string =>
  text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

type Callback<T> = (err: ServiceError | null, res: T) => void;

// Turns a grpc-js callback-style unary call into a promise.
function unary<T>(call: (done: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => call((err, res) => (err ? reject(err) : resolve(res))));
}

async function main(): Promise<void> {
  const [target, caFile, certFile, keyFile] = process.argv.slice(2);
  const creds = caFile
    ? credentials.createSsl(
        readFileSync(caFile),
        keyFile ? readFileSync(keyFile) : null,
        certFile ? readFileSync(certFile) : null,
      )
    : credentials.createInsecure();
  const client = new InferenceClient(target, creds);
  const deadline = (): { deadline: Date } => ({ deadline: new Date(Date.now() + 60_000) });

  const models = await unary<ListModelsResponse>((done) =>
    client.listModels(ListModelsRequest.create(), new Metadata(), deadline(), done),
  );
  if (models.models.length === 0) throw new Error("ListModels: no models");
  for (const m of models.models) console.log(`MODEL ${m.id}`);
  const genModel = models.models[0].id;
  const embedModel = (models.models.find((m) => m.supportsEmbed) ?? models.models[0]).id;

  const request = GenerateRequest.fromPartial({
    model: genModel,
    prompt: "The capital of France is",
    sampling: { maxTokens: 8, temperature: 0 },
  });
  let text = "";
  let deltas = 0;
  const stream = client.generate(request, new Metadata(), deadline());
  for await (const message of stream as AsyncIterable<GenerateResponse>) {
    if (message.delta) {
      deltas += 1;
      text += message.delta.text;
    }
    if (message.complete) {
      const usage = message.complete.usage;
      console.log(`DELTAS ${deltas}`);
      console.log(`TEXT ${escape(text)}`);
      console.log(`FINISH ${finishReasonToJSON(message.complete.finishReason)}`);
      console.log(
        `USAGE prompt=${usage?.promptTokens ?? 0} completion=${usage?.completionTokens ?? 0} cached=${usage?.cachedTokens ?? 0}`,
      );
    }
  }

  const embedded = await unary<EmbedResponse>((done) =>
    client.embed(
      EmbedRequest.fromPartial({ model: embedModel, inputs: ["hello", "world"] }),
      new Metadata(),
      deadline(),
      done,
    ),
  );
  const dim = embedded.embeddings.length > 0 ? embedded.embeddings[0].values.length : 0;
  console.log(`EMBED count=${embedded.embeddings.length} dim=${dim}`);
  console.log("DONE");
  client.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
