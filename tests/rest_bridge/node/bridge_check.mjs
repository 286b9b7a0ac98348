// The official openai Node SDK against the bridge: one streaming chat, one streaming tool call
// (tool_choice "required"), one embeddings call.
// Usage: node bridge_check.mjs <base_url> <model> [tools]; prints one JSON line with what it saw.
import OpenAI from "openai";

const [baseURL, model, withTools] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });

const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Say hello." }],
  max_tokens: 8,
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let role = null;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    role ??= choice.delta.role ?? null;
    text += choice.delta.content ?? "";
    finish = choice.finish_reason ?? finish;
  }
}
const tool = { id: null, name: null, arguments: "", fragments: 0, finish: null };
if (withTools === "tools") {
  const toolStream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "What is the weather in Paris?" }],
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather in a city",
          parameters: { type: "object", properties: { city: { type: "string", maxLength: 24 } }, required: ["city"] },
        },
      },
    ],
    tool_choice: "required",
    parallel_tool_calls: false,
    temperature: 0,
    max_tokens: 64,
    stream: true,
  });
  for await (const chunk of toolStream) {
    for (const choice of chunk.choices) {
      for (const call of choice.delta.tool_calls ?? []) {
        tool.id ??= call.id ?? null;
        tool.name ??= call.function?.name ?? null;
        if (call.function?.arguments) {
          tool.arguments += call.function.arguments;
          tool.fragments += 1;
        }
      }
      tool.finish = choice.finish_reason ?? tool.finish;
    }
  }
}
const emb = await client.embeddings.create({ model, input: ["hello", "world"] });
const embeddings = emb.data.map((d) => d.embedding.length);
console.log(JSON.stringify({ role, text, finish, usage, tool, embeddings }));
