package dev.helixflow.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Worker is the internal API of a model server. Only the router calls it,
 * over mutual TLS. A worker serves the models of its catalog.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: helixflow/v1/worker.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class WorkerGrpc {

  private WorkerGrpc() {}

  public static final String SERVICE_NAME = "helixflow.v1.Worker";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerGenerateRequest,
      dev.helixflow.v1.WorkerGenerateResponse> getGenerateMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Generate",
      requestType = dev.helixflow.v1.WorkerGenerateRequest.class,
      responseType = dev.helixflow.v1.WorkerGenerateResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerGenerateRequest,
      dev.helixflow.v1.WorkerGenerateResponse> getGenerateMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerGenerateRequest, dev.helixflow.v1.WorkerGenerateResponse> getGenerateMethod;
    if ((getGenerateMethod = WorkerGrpc.getGenerateMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getGenerateMethod = WorkerGrpc.getGenerateMethod) == null) {
          WorkerGrpc.getGenerateMethod = getGenerateMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.WorkerGenerateRequest, dev.helixflow.v1.WorkerGenerateResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Generate"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WorkerGenerateRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WorkerGenerateResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("Generate"))
              .build();
        }
      }
    }
    return getGenerateMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerEmbedRequest,
      dev.helixflow.v1.WorkerEmbedResponse> getEmbedMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Embed",
      requestType = dev.helixflow.v1.WorkerEmbedRequest.class,
      responseType = dev.helixflow.v1.WorkerEmbedResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerEmbedRequest,
      dev.helixflow.v1.WorkerEmbedResponse> getEmbedMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerEmbedRequest, dev.helixflow.v1.WorkerEmbedResponse> getEmbedMethod;
    if ((getEmbedMethod = WorkerGrpc.getEmbedMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getEmbedMethod = WorkerGrpc.getEmbedMethod) == null) {
          WorkerGrpc.getEmbedMethod = getEmbedMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.WorkerEmbedRequest, dev.helixflow.v1.WorkerEmbedResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Embed"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WorkerEmbedRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WorkerEmbedResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("Embed"))
              .build();
        }
      }
    }
    return getEmbedMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerTokenizeRequest,
      dev.helixflow.v1.WorkerTokenizeResponse> getTokenizeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Tokenize",
      requestType = dev.helixflow.v1.WorkerTokenizeRequest.class,
      responseType = dev.helixflow.v1.WorkerTokenizeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerTokenizeRequest,
      dev.helixflow.v1.WorkerTokenizeResponse> getTokenizeMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.WorkerTokenizeRequest, dev.helixflow.v1.WorkerTokenizeResponse> getTokenizeMethod;
    if ((getTokenizeMethod = WorkerGrpc.getTokenizeMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getTokenizeMethod = WorkerGrpc.getTokenizeMethod) == null) {
          WorkerGrpc.getTokenizeMethod = getTokenizeMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.WorkerTokenizeRequest, dev.helixflow.v1.WorkerTokenizeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Tokenize"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WorkerTokenizeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WorkerTokenizeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("Tokenize"))
              .build();
        }
      }
    }
    return getTokenizeMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.InfoRequest,
      dev.helixflow.v1.InfoResponse> getInfoMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Info",
      requestType = dev.helixflow.v1.InfoRequest.class,
      responseType = dev.helixflow.v1.InfoResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.InfoRequest,
      dev.helixflow.v1.InfoResponse> getInfoMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.InfoRequest, dev.helixflow.v1.InfoResponse> getInfoMethod;
    if ((getInfoMethod = WorkerGrpc.getInfoMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getInfoMethod = WorkerGrpc.getInfoMethod) == null) {
          WorkerGrpc.getInfoMethod = getInfoMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.InfoRequest, dev.helixflow.v1.InfoResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Info"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.InfoRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.InfoResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("Info"))
              .build();
        }
      }
    }
    return getInfoMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.AbortRequest,
      dev.helixflow.v1.AbortResponse> getAbortMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Abort",
      requestType = dev.helixflow.v1.AbortRequest.class,
      responseType = dev.helixflow.v1.AbortResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.AbortRequest,
      dev.helixflow.v1.AbortResponse> getAbortMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.AbortRequest, dev.helixflow.v1.AbortResponse> getAbortMethod;
    if ((getAbortMethod = WorkerGrpc.getAbortMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getAbortMethod = WorkerGrpc.getAbortMethod) == null) {
          WorkerGrpc.getAbortMethod = getAbortMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.AbortRequest, dev.helixflow.v1.AbortResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Abort"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.AbortRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.AbortResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("Abort"))
              .build();
        }
      }
    }
    return getAbortMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.WatchLoadRequest,
      dev.helixflow.v1.WatchLoadResponse> getWatchLoadMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchLoad",
      requestType = dev.helixflow.v1.WatchLoadRequest.class,
      responseType = dev.helixflow.v1.WatchLoadResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.WatchLoadRequest,
      dev.helixflow.v1.WatchLoadResponse> getWatchLoadMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.WatchLoadRequest, dev.helixflow.v1.WatchLoadResponse> getWatchLoadMethod;
    if ((getWatchLoadMethod = WorkerGrpc.getWatchLoadMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getWatchLoadMethod = WorkerGrpc.getWatchLoadMethod) == null) {
          WorkerGrpc.getWatchLoadMethod = getWatchLoadMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.WatchLoadRequest, dev.helixflow.v1.WatchLoadResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchLoad"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WatchLoadRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WatchLoadResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("WatchLoad"))
              .build();
        }
      }
    }
    return getWatchLoadMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.LoadModelRequest,
      dev.helixflow.v1.LoadModelResponse> getLoadModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "LoadModel",
      requestType = dev.helixflow.v1.LoadModelRequest.class,
      responseType = dev.helixflow.v1.LoadModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.LoadModelRequest,
      dev.helixflow.v1.LoadModelResponse> getLoadModelMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.LoadModelRequest, dev.helixflow.v1.LoadModelResponse> getLoadModelMethod;
    if ((getLoadModelMethod = WorkerGrpc.getLoadModelMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getLoadModelMethod = WorkerGrpc.getLoadModelMethod) == null) {
          WorkerGrpc.getLoadModelMethod = getLoadModelMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.LoadModelRequest, dev.helixflow.v1.LoadModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "LoadModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.LoadModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.LoadModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("LoadModel"))
              .build();
        }
      }
    }
    return getLoadModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.UnloadModelRequest,
      dev.helixflow.v1.UnloadModelResponse> getUnloadModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UnloadModel",
      requestType = dev.helixflow.v1.UnloadModelRequest.class,
      responseType = dev.helixflow.v1.UnloadModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.UnloadModelRequest,
      dev.helixflow.v1.UnloadModelResponse> getUnloadModelMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.UnloadModelRequest, dev.helixflow.v1.UnloadModelResponse> getUnloadModelMethod;
    if ((getUnloadModelMethod = WorkerGrpc.getUnloadModelMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getUnloadModelMethod = WorkerGrpc.getUnloadModelMethod) == null) {
          WorkerGrpc.getUnloadModelMethod = getUnloadModelMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.UnloadModelRequest, dev.helixflow.v1.UnloadModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UnloadModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.UnloadModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.UnloadModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("UnloadModel"))
              .build();
        }
      }
    }
    return getUnloadModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.PinModelRequest,
      dev.helixflow.v1.PinModelResponse> getPinModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "PinModel",
      requestType = dev.helixflow.v1.PinModelRequest.class,
      responseType = dev.helixflow.v1.PinModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.PinModelRequest,
      dev.helixflow.v1.PinModelResponse> getPinModelMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.PinModelRequest, dev.helixflow.v1.PinModelResponse> getPinModelMethod;
    if ((getPinModelMethod = WorkerGrpc.getPinModelMethod) == null) {
      synchronized (WorkerGrpc.class) {
        if ((getPinModelMethod = WorkerGrpc.getPinModelMethod) == null) {
          WorkerGrpc.getPinModelMethod = getPinModelMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.PinModelRequest, dev.helixflow.v1.PinModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "PinModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.PinModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.PinModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new WorkerMethodDescriptorSupplier("PinModel"))
              .build();
        }
      }
    }
    return getPinModelMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static WorkerStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<WorkerStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<WorkerStub>() {
        @java.lang.Override
        public WorkerStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new WorkerStub(channel, callOptions);
        }
      };
    return WorkerStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static WorkerBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<WorkerBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<WorkerBlockingStub>() {
        @java.lang.Override
        public WorkerBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new WorkerBlockingStub(channel, callOptions);
        }
      };
    return WorkerBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static WorkerFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<WorkerFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<WorkerFutureStub>() {
        @java.lang.Override
        public WorkerFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new WorkerFutureStub(channel, callOptions);
        }
      };
    return WorkerFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Worker is the internal API of a model server. Only the router calls it,
   * over mutual TLS. A worker serves the models of its catalog.
   * </pre>
   */
  public static abstract class WorkerImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Generate runs one sequence and streams its output, ending with one
     * Complete message. Cancelling the call frees the sequence's slot and KV cache.
     * </pre>
     */
    public void generate(dev.helixflow.v1.WorkerGenerateRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerGenerateResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGenerateMethod(), responseObserver);
    }

    /**
     * <pre>
     * Embed computes embeddings for a batch of inputs.
     * </pre>
     */
    public void embed(dev.helixflow.v1.WorkerEmbedRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerEmbedResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getEmbedMethod(), responseObserver);
    }

    /**
     * <pre>
     * Tokenize tokenizes with the worker's model.
     * </pre>
     */
    public void tokenize(dev.helixflow.v1.WorkerTokenizeRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerTokenizeResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getTokenizeMethod(), responseObserver);
    }

    /**
     * <pre>
     * Info describes the model and the engine's limits.
     * </pre>
     */
    public void info(dev.helixflow.v1.InfoRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.InfoResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getInfoMethod(), responseObserver);
    }

    /**
     * <pre>
     * Abort cancels sequences by request id. Idempotent: unknown or finished ids are ignored.
     * </pre>
     */
    public void abort(dev.helixflow.v1.AbortRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.AbortResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getAbortMethod(), responseObserver);
    }

    /**
     * <pre>
     * WatchLoad streams load reports: one at once, then one per interval.
     * </pre>
     */
    public void watchLoad(dev.helixflow.v1.WatchLoadRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchLoadResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchLoadMethod(), responseObserver);
    }

    /**
     * <pre>
     * LoadModel loads a catalogued model now (and waits until it is loaded or failed).
     * A failed model is retried. NOT_FOUND for a model the catalog does not hold.
     * </pre>
     */
    public void loadModel(dev.helixflow.v1.LoadModelRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.LoadModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getLoadModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * UnloadModel frees a loaded model once its streams in flight finish.
     * FAILED_PRECONDITION for a pinned model.
     * </pre>
     */
    public void unloadModel(dev.helixflow.v1.UnloadModelRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.UnloadModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUnloadModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * PinModel pins (loads and never unloads) or unpins a catalogued model.
     * </pre>
     */
    public void pinModel(dev.helixflow.v1.PinModelRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.PinModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getPinModelMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getGenerateMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                dev.helixflow.v1.WorkerGenerateRequest,
                dev.helixflow.v1.WorkerGenerateResponse>(
                  this, METHODID_GENERATE)))
          .addMethod(
            getEmbedMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.WorkerEmbedRequest,
                dev.helixflow.v1.WorkerEmbedResponse>(
                  this, METHODID_EMBED)))
          .addMethod(
            getTokenizeMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.WorkerTokenizeRequest,
                dev.helixflow.v1.WorkerTokenizeResponse>(
                  this, METHODID_TOKENIZE)))
          .addMethod(
            getInfoMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.InfoRequest,
                dev.helixflow.v1.InfoResponse>(
                  this, METHODID_INFO)))
          .addMethod(
            getAbortMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.AbortRequest,
                dev.helixflow.v1.AbortResponse>(
                  this, METHODID_ABORT)))
          .addMethod(
            getWatchLoadMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                dev.helixflow.v1.WatchLoadRequest,
                dev.helixflow.v1.WatchLoadResponse>(
                  this, METHODID_WATCH_LOAD)))
          .addMethod(
            getLoadModelMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.LoadModelRequest,
                dev.helixflow.v1.LoadModelResponse>(
                  this, METHODID_LOAD_MODEL)))
          .addMethod(
            getUnloadModelMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.UnloadModelRequest,
                dev.helixflow.v1.UnloadModelResponse>(
                  this, METHODID_UNLOAD_MODEL)))
          .addMethod(
            getPinModelMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.PinModelRequest,
                dev.helixflow.v1.PinModelResponse>(
                  this, METHODID_PIN_MODEL)))
          .build();
    }
  }

  /**
   * <pre>
   * Worker is the internal API of a model server. Only the router calls it,
   * over mutual TLS. A worker serves the models of its catalog.
   * </pre>
   */
  public static final class WorkerStub extends io.grpc.stub.AbstractAsyncStub<WorkerStub> {
    private WorkerStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected WorkerStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new WorkerStub(channel, callOptions);
    }

    /**
     * <pre>
     * Generate runs one sequence and streams its output, ending with one
     * Complete message. Cancelling the call frees the sequence's slot and KV cache.
     * </pre>
     */
    public void generate(dev.helixflow.v1.WorkerGenerateRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerGenerateResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getGenerateMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Embed computes embeddings for a batch of inputs.
     * </pre>
     */
    public void embed(dev.helixflow.v1.WorkerEmbedRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerEmbedResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getEmbedMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Tokenize tokenizes with the worker's model.
     * </pre>
     */
    public void tokenize(dev.helixflow.v1.WorkerTokenizeRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerTokenizeResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getTokenizeMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Info describes the model and the engine's limits.
     * </pre>
     */
    public void info(dev.helixflow.v1.InfoRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.InfoResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getInfoMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Abort cancels sequences by request id. Idempotent: unknown or finished ids are ignored.
     * </pre>
     */
    public void abort(dev.helixflow.v1.AbortRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.AbortResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getAbortMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WatchLoad streams load reports: one at once, then one per interval.
     * </pre>
     */
    public void watchLoad(dev.helixflow.v1.WatchLoadRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchLoadResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchLoadMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * LoadModel loads a catalogued model now (and waits until it is loaded or failed).
     * A failed model is retried. NOT_FOUND for a model the catalog does not hold.
     * </pre>
     */
    public void loadModel(dev.helixflow.v1.LoadModelRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.LoadModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getLoadModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * UnloadModel frees a loaded model once its streams in flight finish.
     * FAILED_PRECONDITION for a pinned model.
     * </pre>
     */
    public void unloadModel(dev.helixflow.v1.UnloadModelRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.UnloadModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUnloadModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * PinModel pins (loads and never unloads) or unpins a catalogued model.
     * </pre>
     */
    public void pinModel(dev.helixflow.v1.PinModelRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.PinModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getPinModelMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * Worker is the internal API of a model server. Only the router calls it,
   * over mutual TLS. A worker serves the models of its catalog.
   * </pre>
   */
  public static final class WorkerBlockingStub extends io.grpc.stub.AbstractBlockingStub<WorkerBlockingStub> {
    private WorkerBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected WorkerBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new WorkerBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Generate runs one sequence and streams its output, ending with one
     * Complete message. Cancelling the call frees the sequence's slot and KV cache.
     * </pre>
     */
    public java.util.Iterator<dev.helixflow.v1.WorkerGenerateResponse> generate(
        dev.helixflow.v1.WorkerGenerateRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getGenerateMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Embed computes embeddings for a batch of inputs.
     * </pre>
     */
    public dev.helixflow.v1.WorkerEmbedResponse embed(dev.helixflow.v1.WorkerEmbedRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getEmbedMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Tokenize tokenizes with the worker's model.
     * </pre>
     */
    public dev.helixflow.v1.WorkerTokenizeResponse tokenize(dev.helixflow.v1.WorkerTokenizeRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getTokenizeMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Info describes the model and the engine's limits.
     * </pre>
     */
    public dev.helixflow.v1.InfoResponse info(dev.helixflow.v1.InfoRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getInfoMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Abort cancels sequences by request id. Idempotent: unknown or finished ids are ignored.
     * </pre>
     */
    public dev.helixflow.v1.AbortResponse abort(dev.helixflow.v1.AbortRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getAbortMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchLoad streams load reports: one at once, then one per interval.
     * </pre>
     */
    public java.util.Iterator<dev.helixflow.v1.WatchLoadResponse> watchLoad(
        dev.helixflow.v1.WatchLoadRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchLoadMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * LoadModel loads a catalogued model now (and waits until it is loaded or failed).
     * A failed model is retried. NOT_FOUND for a model the catalog does not hold.
     * </pre>
     */
    public dev.helixflow.v1.LoadModelResponse loadModel(dev.helixflow.v1.LoadModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getLoadModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * UnloadModel frees a loaded model once its streams in flight finish.
     * FAILED_PRECONDITION for a pinned model.
     * </pre>
     */
    public dev.helixflow.v1.UnloadModelResponse unloadModel(dev.helixflow.v1.UnloadModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUnloadModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * PinModel pins (loads and never unloads) or unpins a catalogued model.
     * </pre>
     */
    public dev.helixflow.v1.PinModelResponse pinModel(dev.helixflow.v1.PinModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getPinModelMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Worker is the internal API of a model server. Only the router calls it,
   * over mutual TLS. A worker serves the models of its catalog.
   * </pre>
   */
  public static final class WorkerFutureStub extends io.grpc.stub.AbstractFutureStub<WorkerFutureStub> {
    private WorkerFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected WorkerFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new WorkerFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Embed computes embeddings for a batch of inputs.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.WorkerEmbedResponse> embed(
        dev.helixflow.v1.WorkerEmbedRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getEmbedMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Tokenize tokenizes with the worker's model.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.WorkerTokenizeResponse> tokenize(
        dev.helixflow.v1.WorkerTokenizeRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getTokenizeMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Info describes the model and the engine's limits.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.InfoResponse> info(
        dev.helixflow.v1.InfoRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getInfoMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Abort cancels sequences by request id. Idempotent: unknown or finished ids are ignored.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.AbortResponse> abort(
        dev.helixflow.v1.AbortRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getAbortMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * LoadModel loads a catalogued model now (and waits until it is loaded or failed).
     * A failed model is retried. NOT_FOUND for a model the catalog does not hold.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.LoadModelResponse> loadModel(
        dev.helixflow.v1.LoadModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getLoadModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * UnloadModel frees a loaded model once its streams in flight finish.
     * FAILED_PRECONDITION for a pinned model.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.UnloadModelResponse> unloadModel(
        dev.helixflow.v1.UnloadModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUnloadModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * PinModel pins (loads and never unloads) or unpins a catalogued model.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.PinModelResponse> pinModel(
        dev.helixflow.v1.PinModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getPinModelMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_GENERATE = 0;
  private static final int METHODID_EMBED = 1;
  private static final int METHODID_TOKENIZE = 2;
  private static final int METHODID_INFO = 3;
  private static final int METHODID_ABORT = 4;
  private static final int METHODID_WATCH_LOAD = 5;
  private static final int METHODID_LOAD_MODEL = 6;
  private static final int METHODID_UNLOAD_MODEL = 7;
  private static final int METHODID_PIN_MODEL = 8;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final WorkerImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(WorkerImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_GENERATE:
          serviceImpl.generate((dev.helixflow.v1.WorkerGenerateRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerGenerateResponse>) responseObserver);
          break;
        case METHODID_EMBED:
          serviceImpl.embed((dev.helixflow.v1.WorkerEmbedRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerEmbedResponse>) responseObserver);
          break;
        case METHODID_TOKENIZE:
          serviceImpl.tokenize((dev.helixflow.v1.WorkerTokenizeRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.WorkerTokenizeResponse>) responseObserver);
          break;
        case METHODID_INFO:
          serviceImpl.info((dev.helixflow.v1.InfoRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.InfoResponse>) responseObserver);
          break;
        case METHODID_ABORT:
          serviceImpl.abort((dev.helixflow.v1.AbortRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.AbortResponse>) responseObserver);
          break;
        case METHODID_WATCH_LOAD:
          serviceImpl.watchLoad((dev.helixflow.v1.WatchLoadRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchLoadResponse>) responseObserver);
          break;
        case METHODID_LOAD_MODEL:
          serviceImpl.loadModel((dev.helixflow.v1.LoadModelRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.LoadModelResponse>) responseObserver);
          break;
        case METHODID_UNLOAD_MODEL:
          serviceImpl.unloadModel((dev.helixflow.v1.UnloadModelRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.UnloadModelResponse>) responseObserver);
          break;
        case METHODID_PIN_MODEL:
          serviceImpl.pinModel((dev.helixflow.v1.PinModelRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.PinModelResponse>) responseObserver);
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

  private static abstract class WorkerBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    WorkerBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.helixflow.v1.WorkerOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("Worker");
    }
  }

  private static final class WorkerFileDescriptorSupplier
      extends WorkerBaseDescriptorSupplier {
    WorkerFileDescriptorSupplier() {}
  }

  private static final class WorkerMethodDescriptorSupplier
      extends WorkerBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    WorkerMethodDescriptorSupplier(String methodName) {
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
      synchronized (WorkerGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new WorkerFileDescriptorSupplier())
              .addMethod(getGenerateMethod())
              .addMethod(getEmbedMethod())
              .addMethod(getTokenizeMethod())
              .addMethod(getInfoMethod())
              .addMethod(getAbortMethod())
              .addMethod(getWatchLoadMethod())
              .addMethod(getLoadModelMethod())
              .addMethod(getUnloadModelMethod())
              .addMethod(getPinModelMethod())
              .build();
        }
      }
    }
    return result;
  }
}
