# Ruby client for the polyglot test: ListModels, one streamed Generate, Embed.
# Usage: ruby -I gen/ruby client.rb HOST:PORT [CA_PEM [CERT_PEM KEY_PEM]]
# With CA_PEM the call uses TLS; with CERT_PEM and KEY_PEM too, mutual TLS.
require 'grpc'
require 'helixflow/v1/inference_services_pb'

def escape(text)
  text.gsub('\\', '\\\\\\\\').gsub("\n", '\\n').gsub("\r", '\\r')
end

target, ca_file, cert_file, key_file = ARGV
credentials = if ca_file
                client_pair = cert_file && [File.read(key_file), File.read(cert_file)]
                GRPC::Core::ChannelCredentials.new(File.read(ca_file), *client_pair)
              else
                :this_channel_is_insecure
              end
stub = Helixflow::V1::Inference::Stub.new(target, credentials, timeout: 60)

models = stub.list_models(Helixflow::V1::ListModelsRequest.new).models
abort('ListModels: no models') if models.empty?
models.each { |m| puts "MODEL #{m.id}" }
gen_model = models.first.id
embed_model = (models.find(&:supports_embed) || models.first).id

request = Helixflow::V1::GenerateRequest.new(
  model: gen_model,
  prompt: 'The capital of France is',
  sampling: Helixflow::V1::SamplingParams.new(max_tokens: 8, temperature: 0.0)
)
text = +''
deltas = 0
stub.generate(request).each do |response|
  case response.event
  when :delta
    deltas += 1
    text << response.delta.text
  when :complete
    complete = response.complete
    usage = complete.usage || Helixflow::V1::Usage.new
    puts "DELTAS #{deltas}"
    puts "TEXT #{escape(text)}"
    puts "FINISH #{complete.finish_reason}"
    puts "USAGE prompt=#{usage.prompt_tokens} completion=#{usage.completion_tokens} cached=#{usage.cached_tokens}"
  end
end

embedded = stub.embed(Helixflow::V1::EmbedRequest.new(model: embed_model, inputs: %w[hello world]))
dim = embedded.embeddings.empty? ? 0 : embedded.embeddings.first.values.size
puts "EMBED count=#{embedded.embeddings.size} dim=#{dim}"
puts 'DONE'
