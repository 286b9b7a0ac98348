// C++ client for the polyglot test: ListModels, one streamed Generate, Embed.
// Usage: client HOST:PORT [CA_PEM [CERT_PEM KEY_PEM]]
// With CA_PEM the call uses TLS; with CERT_PEM and KEY_PEM too, mutual TLS.
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "helixflow/v1/inference.grpc.pb.h"

namespace v1 = helixflow::v1;

namespace {

std::string ReadFile(const char* path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
}

int Fail(const std::string& what, const grpc::Status& status) {
  std::cerr << what << ": " << status.error_code() << " " << status.error_message() << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: client HOST:PORT [CA_PEM]" << std::endl;
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (argc > 2) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(argv[2]);
    if (argc > 4) {
      options.pem_cert_chain = ReadFile(argv[3]);
      options.pem_private_key = ReadFile(argv[4]);
    }
    credentials = grpc::SslCredentials(options);
  }
  auto stub = v1::Inference::NewStub(grpc::CreateChannel(argv[1], credentials));

  v1::ListModelsResponse models;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status = stub->ListModels(&context, v1::ListModelsRequest(), &models);
    if (!status.ok()) return Fail("ListModels", status);
  }
  if (models.models_size() == 0) {
    std::cerr << "ListModels: no models" << std::endl;
    return 1;
  }
  std::string embed_model = models.models(0).id();
  for (const auto& model : models.models()) std::cout << "MODEL " << model.id() << "\n";
  for (const auto& model : models.models()) {
    if (model.supports_embed()) {
      embed_model = model.id();
      break;
    }
  }

  v1::GenerateRequest request;
  request.set_model(models.models(0).id());
  request.set_prompt("The capital of France is");
  request.mutable_sampling()->set_max_tokens(8);
  request.mutable_sampling()->set_temperature(0.0f);
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    std::unique_ptr<grpc::ClientReader<v1::GenerateResponse>> reader = stub->Generate(&context, request);
    v1::GenerateResponse response;
    std::string text;
    int deltas = 0;
    while (reader->Read(&response)) {
      if (response.has_delta()) {
        ++deltas;
        text += response.delta().text();
      }
      if (response.has_complete()) {
        const v1::Complete& complete = response.complete();
        std::cout << "DELTAS " << deltas << "\n";
        std::cout << "TEXT " << Escape(text) << "\n";
        std::cout << "FINISH " << v1::FinishReason_Name(complete.finish_reason()) << "\n";
        std::cout << "USAGE prompt=" << complete.usage().prompt_tokens()
                  << " completion=" << complete.usage().completion_tokens()
                  << " cached=" << complete.usage().cached_tokens() << "\n";
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return Fail("Generate", status);
  }

  v1::EmbedRequest embed_request;
  embed_request.set_model(embed_model);
  embed_request.add_inputs("hello");
  embed_request.add_inputs("world");
  v1::EmbedResponse embedded;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status = stub->Embed(&context, embed_request, &embedded);
    if (!status.ok()) return Fail("Embed", status);
  }
  int dim = embedded.embeddings_size() > 0 ? embedded.embeddings(0).values_size() : 0;
  std::cout << "EMBED count=" << embedded.embeddings_size() << " dim=" << dim << "\n";
  std::cout << "DONE" << std::endl;
  return 0;
}
