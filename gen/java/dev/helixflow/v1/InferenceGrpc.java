package dev.helixflow.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Inference is the public API, served by the router. Callers authenticate
 * with "authorization: Bearer &lt;api key or JWT&gt;" metadata when auth is on.
 * Errors are gRPC statuses with google.rpc details (see ErrorReason).
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: helixflow/v1/inference.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class InferenceGrpc {

  private InferenceGrpc() {}

  public static final String SERVICE_NAME = "helixflow.v1.Inference";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.GenerateRequest,
      dev.helixflow.v1.GenerateResponse> getGenerateMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Generate",
      requestType = dev.helixflow.v1.GenerateRequest.class,
      responseType = dev.helixflow.v1.GenerateResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.GenerateRequest,
      dev.helixflow.v1.GenerateResponse> getGenerateMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.GenerateRequest, dev.helixflow.v1.GenerateResponse> getGenerateMethod;
    if ((getGenerateMethod = InferenceGrpc.getGenerateMethod) == null) {
      synchronized (InferenceGrpc.class) {
        if ((getGenerateMethod = InferenceGrpc.getGenerateMethod) == null) {
          InferenceGrpc.getGenerateMethod = getGenerateMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.GenerateRequest, dev.helixflow.v1.GenerateResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Generate"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GenerateRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GenerateResponse.getDefaultInstance()))
              .setSchemaDescriptor(new InferenceMethodDescriptorSupplier("Generate"))
              .build();
        }
      }
    }
    return getGenerateMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.EmbedRequest,
      dev.helixflow.v1.EmbedResponse> getEmbedMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Embed",
      requestType = dev.helixflow.v1.EmbedRequest.class,
      responseType = dev.helixflow.v1.EmbedResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.EmbedRequest,
      dev.helixflow.v1.EmbedResponse> getEmbedMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.EmbedRequest, dev.helixflow.v1.EmbedResponse> getEmbedMethod;
    if ((getEmbedMethod = InferenceGrpc.getEmbedMethod) == null) {
      synchronized (InferenceGrpc.class) {
        if ((getEmbedMethod = InferenceGrpc.getEmbedMethod) == null) {
          InferenceGrpc.getEmbedMethod = getEmbedMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.EmbedRequest, dev.helixflow.v1.EmbedResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Embed"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.EmbedRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.EmbedResponse.getDefaultInstance()))
              .setSchemaDescriptor(new InferenceMethodDescriptorSupplier("Embed"))
              .build();
        }
      }
    }
    return getEmbedMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.TokenizeRequest,
      dev.helixflow.v1.TokenizeResponse> getTokenizeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Tokenize",
      requestType = dev.helixflow.v1.TokenizeRequest.class,
      responseType = dev.helixflow.v1.TokenizeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.TokenizeRequest,
      dev.helixflow.v1.TokenizeResponse> getTokenizeMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.TokenizeRequest, dev.helixflow.v1.TokenizeResponse> getTokenizeMethod;
    if ((getTokenizeMethod = InferenceGrpc.getTokenizeMethod) == null) {
      synchronized (InferenceGrpc.class) {
        if ((getTokenizeMethod = InferenceGrpc.getTokenizeMethod) == null) {
          InferenceGrpc.getTokenizeMethod = getTokenizeMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.TokenizeRequest, dev.helixflow.v1.TokenizeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Tokenize"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.TokenizeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.TokenizeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new InferenceMethodDescriptorSupplier("Tokenize"))
              .build();
        }
      }
    }
    return getTokenizeMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.ListModelsRequest,
      dev.helixflow.v1.ListModelsResponse> getListModelsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListModels",
      requestType = dev.helixflow.v1.ListModelsRequest.class,
      responseType = dev.helixflow.v1.ListModelsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.ListModelsRequest,
      dev.helixflow.v1.ListModelsResponse> getListModelsMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.ListModelsRequest, dev.helixflow.v1.ListModelsResponse> getListModelsMethod;
    if ((getListModelsMethod = InferenceGrpc.getListModelsMethod) == null) {
      synchronized (InferenceGrpc.class) {
        if ((getListModelsMethod = InferenceGrpc.getListModelsMethod) == null) {
          InferenceGrpc.getListModelsMethod = getListModelsMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.ListModelsRequest, dev.helixflow.v1.ListModelsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListModels"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListModelsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListModelsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new InferenceMethodDescriptorSupplier("ListModels"))
              .build();
        }
      }
    }
    return getListModelsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static InferenceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<InferenceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<InferenceStub>() {
        @java.lang.Override
        public InferenceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new InferenceStub(channel, callOptions);
        }
      };
    return InferenceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static InferenceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<InferenceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<InferenceBlockingStub>() {
        @java.lang.Override
        public InferenceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new InferenceBlockingStub(channel, callOptions);
        }
      };
    return InferenceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static InferenceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<InferenceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<InferenceFutureStub>() {
        @java.lang.Override
        public InferenceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new InferenceFutureStub(channel, callOptions);
        }
      };
    return InferenceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Inference is the public API, served by the router. Callers authenticate
   * with "authorization: Bearer &lt;api key or JWT&gt;" metadata when auth is on.
   * Errors are gRPC statuses with google.rpc details (see ErrorReason).
   * </pre>
   */
  public static abstract class InferenceImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Generate streams generated tokens. The stream is a series of deltas and
     * ends with exactly one Complete message; a failure ends it with a non-OK
     * status instead. Cancelling the call aborts the sequence on the worker.
     * </pre>
     */
    public void generate(dev.helixflow.v1.GenerateRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GenerateResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGenerateMethod(), responseObserver);
    }

    /**
     * <pre>
     * Embed returns one vector per input, in input order.
     * </pre>
     */
    public void embed(dev.helixflow.v1.EmbedRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.EmbedResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getEmbedMethod(), responseObserver);
    }

    /**
     * <pre>
     * Tokenize returns the token ids of a prompt or a rendered conversation.
     * </pre>
     */
    public void tokenize(dev.helixflow.v1.TokenizeRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.TokenizeResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getTokenizeMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListModels lists the models that at least one healthy worker serves.
     * </pre>
     */
    public void listModels(dev.helixflow.v1.ListModelsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListModelsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListModelsMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getGenerateMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                dev.helixflow.v1.GenerateRequest,
                dev.helixflow.v1.GenerateResponse>(
                  this, METHODID_GENERATE)))
          .addMethod(
            getEmbedMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.EmbedRequest,
                dev.helixflow.v1.EmbedResponse>(
                  this, METHODID_EMBED)))
          .addMethod(
            getTokenizeMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.TokenizeRequest,
                dev.helixflow.v1.TokenizeResponse>(
                  this, METHODID_TOKENIZE)))
          .addMethod(
            getListModelsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.ListModelsRequest,
                dev.helixflow.v1.ListModelsResponse>(
                  this, METHODID_LIST_MODELS)))
          .build();
    }
  }

  /**
   * <pre>
   * Inference is the public API, served by the router. Callers authenticate
   * with "authorization: Bearer &lt;api key or JWT&gt;" metadata when auth is on.
   * Errors are gRPC statuses with google.rpc details (see ErrorReason).
   * </pre>
   */
  public static final class InferenceStub extends io.grpc.stub.AbstractAsyncStub<InferenceStub> {
    private InferenceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected InferenceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new InferenceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Generate streams generated tokens. The stream is a series of deltas and
     * ends with exactly one Complete message; a failure ends it with a non-OK
     * status instead. Cancelling the call aborts the sequence on the worker.
     * </pre>
     */
    public void generate(dev.helixflow.v1.GenerateRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GenerateResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getGenerateMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Embed returns one vector per input, in input order.
     * </pre>
     */
    public void embed(dev.helixflow.v1.EmbedRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.EmbedResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getEmbedMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Tokenize returns the token ids of a prompt or a rendered conversation.
     * </pre>
     */
    public void tokenize(dev.helixflow.v1.TokenizeRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.TokenizeResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getTokenizeMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListModels lists the models that at least one healthy worker serves.
     * </pre>
     */
    public void listModels(dev.helixflow.v1.ListModelsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListModelsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListModelsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * Inference is the public API, served by the router. Callers authenticate
   * with "authorization: Bearer &lt;api key or JWT&gt;" metadata when auth is on.
   * Errors are gRPC statuses with google.rpc details (see ErrorReason).
   * </pre>
   */
  public static final class InferenceBlockingStub extends io.grpc.stub.AbstractBlockingStub<InferenceBlockingStub> {
    private InferenceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected InferenceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new InferenceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Generate streams generated tokens. The stream is a series of deltas and
     * ends with exactly one Complete message; a failure ends it with a non-OK
     * status instead. Cancelling the call aborts the sequence on the worker.
     * </pre>
     */
    public java.util.Iterator<dev.helixflow.v1.GenerateResponse> generate(
        dev.helixflow.v1.GenerateRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getGenerateMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Embed returns one vector per input, in input order.
     * </pre>
     */
    public dev.helixflow.v1.EmbedResponse embed(dev.helixflow.v1.EmbedRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getEmbedMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Tokenize returns the token ids of a prompt or a rendered conversation.
     * </pre>
     */
    public dev.helixflow.v1.TokenizeResponse tokenize(dev.helixflow.v1.TokenizeRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getTokenizeMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListModels lists the models that at least one healthy worker serves.
     * </pre>
     */
    public dev.helixflow.v1.ListModelsResponse listModels(dev.helixflow.v1.ListModelsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListModelsMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Inference is the public API, served by the router. Callers authenticate
   * with "authorization: Bearer &lt;api key or JWT&gt;" metadata when auth is on.
   * Errors are gRPC statuses with google.rpc details (see ErrorReason).
   * </pre>
   */
  public static final class InferenceFutureStub extends io.grpc.stub.AbstractFutureStub<InferenceFutureStub> {
    private InferenceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected InferenceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new InferenceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Embed returns one vector per input, in input order.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.EmbedResponse> embed(
        dev.helixflow.v1.EmbedRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getEmbedMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Tokenize returns the token ids of a prompt or a rendered conversation.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.TokenizeResponse> tokenize(
        dev.helixflow.v1.TokenizeRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getTokenizeMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListModels lists the models that at least one healthy worker serves.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.ListModelsResponse> listModels(
        dev.helixflow.v1.ListModelsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListModelsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_GENERATE = 0;
  private static final int METHODID_EMBED = 1;
  private static final int METHODID_TOKENIZE = 2;
  private static final int METHODID_LIST_MODELS = 3;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final InferenceImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(InferenceImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_GENERATE:
          serviceImpl.generate((dev.helixflow.v1.GenerateRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.GenerateResponse>) responseObserver);
          break;
        case METHODID_EMBED:
          serviceImpl.embed((dev.helixflow.v1.EmbedRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.EmbedResponse>) responseObserver);
          break;
        case METHODID_TOKENIZE:
          serviceImpl.tokenize((dev.helixflow.v1.TokenizeRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.TokenizeResponse>) responseObserver);
          break;
        case METHODID_LIST_MODELS:
          serviceImpl.listModels((dev.helixflow.v1.ListModelsRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.ListModelsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class InferenceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    InferenceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.helixflow.v1.InferenceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("Inference");
    }
  }

  private static final class InferenceFileDescriptorSupplier
      extends InferenceBaseDescriptorSupplier {
    InferenceFileDescriptorSupplier() {}
  }

  private static final class InferenceMethodDescriptorSupplier
      extends InferenceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    InferenceMethodDescriptorSupplier(String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (InferenceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new InferenceFileDescriptorSupplier())
              .addMethod(getGenerateMethod())
              .addMethod(getEmbedMethod())
              .addMethod(getTokenizeMethod())
              .addMethod(getListModelsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
