// Java client for the polyglot test: ListModels, one streamed Generate, Embed.
// Usage: java Client HOST:PORT [CA_PEM [CERT_PEM KEY_PEM]]
// With CA_PEM the call uses TLS; with CERT_PEM and KEY_PEM too, mutual TLS.

import dev.helixflow.v1.Complete;
import dev.helixflow.v1.EmbedRequest;
import dev.helixflow.v1.EmbedResponse;
import dev.helixflow.v1.GenerateRequest;
import dev.helixflow.v1.GenerateResponse;
import dev.helixflow.v1.InferenceGrpc;
import dev.helixflow.v1.ListModelsRequest;
import dev.helixflow.v1.ModelCard;
import dev.helixflow.v1.SamplingParams;
import dev.helixflow.v1.Usage;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

public final class Client {
  private static String escape(String text) {
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
  }

  public static void main(String[] args) throws Exception {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(args[0]);
    if (args.length > 1) {
      // Picks OpenSSL (netty-tcnative) when it loads: Debian's netty has no JDK ALPN.
      SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(new File(args[1]));
      if (args.length > 3) {
        ssl.keyManager(new File(args[2]), new File(args[3]));
      }
      builder.sslContext(ssl.build());
    } else {
      builder.usePlaintext();
    }
    ManagedChannel channel = builder.build();
    try {
      InferenceGrpc.InferenceBlockingStub stub =
          InferenceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);

      List<ModelCard> models = stub.listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
      if (models.isEmpty()) {
        throw new IllegalStateException("ListModels: no models");
      }
      String embedModel = models.get(0).getId();
      for (ModelCard model : models) {
        System.out.println("MODEL " + model.getId());
      }
      for (ModelCard model : models) {
        if (model.getSupportsEmbed()) {
          embedModel = model.getId();
          break;
        }
      }

      GenerateRequest request =
          GenerateRequest.newBuilder()
              .setModel(models.get(0).getId())
              .setPrompt("The capital of France is")
              .setSampling(SamplingParams.newBuilder().setMaxTokens(8).setTemperature(0f))
              .build();
      StringBuilder text = new StringBuilder();
      int deltas = 0;
      Iterator<GenerateResponse> stream = stub.generate(request);
      while (stream.hasNext()) {
        GenerateResponse response = stream.next();
        if (response.hasDelta()) {
          deltas++;
          text.append(response.getDelta().getText());
        }
        if (response.hasComplete()) {
          Complete complete = response.getComplete();
          Usage usage = complete.getUsage();
          System.out.println("DELTAS " + deltas);
          System.out.println("TEXT " + escape(text.toString()));
          System.out.println("FINISH " + complete.getFinishReason().name());
          System.out.println(
              "USAGE prompt=" + usage.getPromptTokens()
                  + " completion=" + usage.getCompletionTokens()
                  + " cached=" + usage.getCachedTokens());
        }
      }

      EmbedResponse embedded =
          stub.embed(
              EmbedRequest.newBuilder().setModel(embedModel).addInputs("hello").addInputs("world").build());
      int dim = embedded.getEmbeddingsCount() > 0 ? embedded.getEmbeddings(0).getValuesCount() : 0;
      System.out.println("EMBED count=" + embedded.getEmbeddingsCount() + " dim=" + dim);
      System.out.println("DONE");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
