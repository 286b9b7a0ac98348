package dev.helixflow.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Admin manages API keys and reads usage. It is served by the router and
 * needs a credential with PERMISSION_ADMIN.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: helixflow/v1/admin.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class AdminGrpc {

  private AdminGrpc() {}

  public static final String SERVICE_NAME = "helixflow.v1.Admin";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.CreateKeyRequest,
      dev.helixflow.v1.CreateKeyResponse> getCreateKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateKey",
      requestType = dev.helixflow.v1.CreateKeyRequest.class,
      responseType = dev.helixflow.v1.CreateKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.CreateKeyRequest,
      dev.helixflow.v1.CreateKeyResponse> getCreateKeyMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.CreateKeyRequest, dev.helixflow.v1.CreateKeyResponse> getCreateKeyMethod;
    if ((getCreateKeyMethod = AdminGrpc.getCreateKeyMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getCreateKeyMethod = AdminGrpc.getCreateKeyMethod) == null) {
          AdminGrpc.getCreateKeyMethod = getCreateKeyMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.CreateKeyRequest, dev.helixflow.v1.CreateKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.CreateKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.CreateKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("CreateKey"))
              .build();
        }
      }
    }
    return getCreateKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.ListKeysRequest,
      dev.helixflow.v1.ListKeysResponse> getListKeysMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListKeys",
      requestType = dev.helixflow.v1.ListKeysRequest.class,
      responseType = dev.helixflow.v1.ListKeysResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.ListKeysRequest,
      dev.helixflow.v1.ListKeysResponse> getListKeysMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.ListKeysRequest, dev.helixflow.v1.ListKeysResponse> getListKeysMethod;
    if ((getListKeysMethod = AdminGrpc.getListKeysMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getListKeysMethod = AdminGrpc.getListKeysMethod) == null) {
          AdminGrpc.getListKeysMethod = getListKeysMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.ListKeysRequest, dev.helixflow.v1.ListKeysResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListKeys"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListKeysRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListKeysResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("ListKeys"))
              .build();
        }
      }
    }
    return getListKeysMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.GetKeyRequest,
      dev.helixflow.v1.GetKeyResponse> getGetKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetKey",
      requestType = dev.helixflow.v1.GetKeyRequest.class,
      responseType = dev.helixflow.v1.GetKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.GetKeyRequest,
      dev.helixflow.v1.GetKeyResponse> getGetKeyMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.GetKeyRequest, dev.helixflow.v1.GetKeyResponse> getGetKeyMethod;
    if ((getGetKeyMethod = AdminGrpc.getGetKeyMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getGetKeyMethod = AdminGrpc.getGetKeyMethod) == null) {
          AdminGrpc.getGetKeyMethod = getGetKeyMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.GetKeyRequest, dev.helixflow.v1.GetKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GetKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GetKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("GetKey"))
              .build();
        }
      }
    }
    return getGetKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.RevokeKeyRequest,
      dev.helixflow.v1.RevokeKeyResponse> getRevokeKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RevokeKey",
      requestType = dev.helixflow.v1.RevokeKeyRequest.class,
      responseType = dev.helixflow.v1.RevokeKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.RevokeKeyRequest,
      dev.helixflow.v1.RevokeKeyResponse> getRevokeKeyMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.RevokeKeyRequest, dev.helixflow.v1.RevokeKeyResponse> getRevokeKeyMethod;
    if ((getRevokeKeyMethod = AdminGrpc.getRevokeKeyMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getRevokeKeyMethod = AdminGrpc.getRevokeKeyMethod) == null) {
          AdminGrpc.getRevokeKeyMethod = getRevokeKeyMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.RevokeKeyRequest, dev.helixflow.v1.RevokeKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RevokeKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.RevokeKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.RevokeKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("RevokeKey"))
              .build();
        }
      }
    }
    return getRevokeKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.GetUsageRequest,
      dev.helixflow.v1.GetUsageResponse> getGetUsageMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetUsage",
      requestType = dev.helixflow.v1.GetUsageRequest.class,
      responseType = dev.helixflow.v1.GetUsageResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.GetUsageRequest,
      dev.helixflow.v1.GetUsageResponse> getGetUsageMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.GetUsageRequest, dev.helixflow.v1.GetUsageResponse> getGetUsageMethod;
    if ((getGetUsageMethod = AdminGrpc.getGetUsageMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getGetUsageMethod = AdminGrpc.getGetUsageMethod) == null) {
          AdminGrpc.getGetUsageMethod = getGetUsageMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.GetUsageRequest, dev.helixflow.v1.GetUsageResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetUsage"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GetUsageRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GetUsageResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("GetUsage"))
              .build();
        }
      }
    }
    return getGetUsageMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.WatchWorkersRequest,
      dev.helixflow.v1.WatchWorkersResponse> getWatchWorkersMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchWorkers",
      requestType = dev.helixflow.v1.WatchWorkersRequest.class,
      responseType = dev.helixflow.v1.WatchWorkersResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.WatchWorkersRequest,
      dev.helixflow.v1.WatchWorkersResponse> getWatchWorkersMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.WatchWorkersRequest, dev.helixflow.v1.WatchWorkersResponse> getWatchWorkersMethod;
    if ((getWatchWorkersMethod = AdminGrpc.getWatchWorkersMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getWatchWorkersMethod = AdminGrpc.getWatchWorkersMethod) == null) {
          AdminGrpc.getWatchWorkersMethod = getWatchWorkersMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.WatchWorkersRequest, dev.helixflow.v1.WatchWorkersResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchWorkers"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WatchWorkersRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WatchWorkersResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("WatchWorkers"))
              .build();
        }
      }
    }
    return getWatchWorkersMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.WatchRequestsRequest,
      dev.helixflow.v1.WatchRequestsResponse> getWatchRequestsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchRequests",
      requestType = dev.helixflow.v1.WatchRequestsRequest.class,
      responseType = dev.helixflow.v1.WatchRequestsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.WatchRequestsRequest,
      dev.helixflow.v1.WatchRequestsResponse> getWatchRequestsMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.WatchRequestsRequest, dev.helixflow.v1.WatchRequestsResponse> getWatchRequestsMethod;
    if ((getWatchRequestsMethod = AdminGrpc.getWatchRequestsMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getWatchRequestsMethod = AdminGrpc.getWatchRequestsMethod) == null) {
          AdminGrpc.getWatchRequestsMethod = getWatchRequestsMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.WatchRequestsRequest, dev.helixflow.v1.WatchRequestsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchRequests"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WatchRequestsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.WatchRequestsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("WatchRequests"))
              .build();
        }
      }
    }
    return getWatchRequestsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.CreateProjectRequest,
      dev.helixflow.v1.CreateProjectResponse> getCreateProjectMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateProject",
      requestType = dev.helixflow.v1.CreateProjectRequest.class,
      responseType = dev.helixflow.v1.CreateProjectResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.CreateProjectRequest,
      dev.helixflow.v1.CreateProjectResponse> getCreateProjectMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.CreateProjectRequest, dev.helixflow.v1.CreateProjectResponse> getCreateProjectMethod;
    if ((getCreateProjectMethod = AdminGrpc.getCreateProjectMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getCreateProjectMethod = AdminGrpc.getCreateProjectMethod) == null) {
          AdminGrpc.getCreateProjectMethod = getCreateProjectMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.CreateProjectRequest, dev.helixflow.v1.CreateProjectResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateProject"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.CreateProjectRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.CreateProjectResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("CreateProject"))
              .build();
        }
      }
    }
    return getCreateProjectMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.ListProjectsRequest,
      dev.helixflow.v1.ListProjectsResponse> getListProjectsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListProjects",
      requestType = dev.helixflow.v1.ListProjectsRequest.class,
      responseType = dev.helixflow.v1.ListProjectsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.ListProjectsRequest,
      dev.helixflow.v1.ListProjectsResponse> getListProjectsMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.ListProjectsRequest, dev.helixflow.v1.ListProjectsResponse> getListProjectsMethod;
    if ((getListProjectsMethod = AdminGrpc.getListProjectsMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getListProjectsMethod = AdminGrpc.getListProjectsMethod) == null) {
          AdminGrpc.getListProjectsMethod = getListProjectsMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.ListProjectsRequest, dev.helixflow.v1.ListProjectsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListProjects"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListProjectsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListProjectsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("ListProjects"))
              .build();
        }
      }
    }
    return getListProjectsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.GetProjectRequest,
      dev.helixflow.v1.GetProjectResponse> getGetProjectMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetProject",
      requestType = dev.helixflow.v1.GetProjectRequest.class,
      responseType = dev.helixflow.v1.GetProjectResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.GetProjectRequest,
      dev.helixflow.v1.GetProjectResponse> getGetProjectMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.GetProjectRequest, dev.helixflow.v1.GetProjectResponse> getGetProjectMethod;
    if ((getGetProjectMethod = AdminGrpc.getGetProjectMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getGetProjectMethod = AdminGrpc.getGetProjectMethod) == null) {
          AdminGrpc.getGetProjectMethod = getGetProjectMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.GetProjectRequest, dev.helixflow.v1.GetProjectResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetProject"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GetProjectRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.GetProjectResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("GetProject"))
              .build();
        }
      }
    }
    return getGetProjectMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.UpdateProjectRequest,
      dev.helixflow.v1.UpdateProjectResponse> getUpdateProjectMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UpdateProject",
      requestType = dev.helixflow.v1.UpdateProjectRequest.class,
      responseType = dev.helixflow.v1.UpdateProjectResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.UpdateProjectRequest,
      dev.helixflow.v1.UpdateProjectResponse> getUpdateProjectMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.UpdateProjectRequest, dev.helixflow.v1.UpdateProjectResponse> getUpdateProjectMethod;
    if ((getUpdateProjectMethod = AdminGrpc.getUpdateProjectMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getUpdateProjectMethod = AdminGrpc.getUpdateProjectMethod) == null) {
          AdminGrpc.getUpdateProjectMethod = getUpdateProjectMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.UpdateProjectRequest, dev.helixflow.v1.UpdateProjectResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UpdateProject"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.UpdateProjectRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.UpdateProjectResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("UpdateProject"))
              .build();
        }
      }
    }
    return getUpdateProjectMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.DeleteProjectRequest,
      dev.helixflow.v1.DeleteProjectResponse> getDeleteProjectMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteProject",
      requestType = dev.helixflow.v1.DeleteProjectRequest.class,
      responseType = dev.helixflow.v1.DeleteProjectResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.DeleteProjectRequest,
      dev.helixflow.v1.DeleteProjectResponse> getDeleteProjectMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.DeleteProjectRequest, dev.helixflow.v1.DeleteProjectResponse> getDeleteProjectMethod;
    if ((getDeleteProjectMethod = AdminGrpc.getDeleteProjectMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getDeleteProjectMethod = AdminGrpc.getDeleteProjectMethod) == null) {
          AdminGrpc.getDeleteProjectMethod = getDeleteProjectMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.DeleteProjectRequest, dev.helixflow.v1.DeleteProjectResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteProject"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.DeleteProjectRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.DeleteProjectResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("DeleteProject"))
              .build();
        }
      }
    }
    return getDeleteProjectMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.SetUpstreamSecretRequest,
      dev.helixflow.v1.SetUpstreamSecretResponse> getSetUpstreamSecretMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetUpstreamSecret",
      requestType = dev.helixflow.v1.SetUpstreamSecretRequest.class,
      responseType = dev.helixflow.v1.SetUpstreamSecretResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.SetUpstreamSecretRequest,
      dev.helixflow.v1.SetUpstreamSecretResponse> getSetUpstreamSecretMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.SetUpstreamSecretRequest, dev.helixflow.v1.SetUpstreamSecretResponse> getSetUpstreamSecretMethod;
    if ((getSetUpstreamSecretMethod = AdminGrpc.getSetUpstreamSecretMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getSetUpstreamSecretMethod = AdminGrpc.getSetUpstreamSecretMethod) == null) {
          AdminGrpc.getSetUpstreamSecretMethod = getSetUpstreamSecretMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.SetUpstreamSecretRequest, dev.helixflow.v1.SetUpstreamSecretResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetUpstreamSecret"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.SetUpstreamSecretRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.SetUpstreamSecretResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("SetUpstreamSecret"))
              .build();
        }
      }
    }
    return getSetUpstreamSecretMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.ListUpstreamSecretsRequest,
      dev.helixflow.v1.ListUpstreamSecretsResponse> getListUpstreamSecretsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListUpstreamSecrets",
      requestType = dev.helixflow.v1.ListUpstreamSecretsRequest.class,
      responseType = dev.helixflow.v1.ListUpstreamSecretsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.ListUpstreamSecretsRequest,
      dev.helixflow.v1.ListUpstreamSecretsResponse> getListUpstreamSecretsMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.ListUpstreamSecretsRequest, dev.helixflow.v1.ListUpstreamSecretsResponse> getListUpstreamSecretsMethod;
    if ((getListUpstreamSecretsMethod = AdminGrpc.getListUpstreamSecretsMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getListUpstreamSecretsMethod = AdminGrpc.getListUpstreamSecretsMethod) == null) {
          AdminGrpc.getListUpstreamSecretsMethod = getListUpstreamSecretsMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.ListUpstreamSecretsRequest, dev.helixflow.v1.ListUpstreamSecretsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListUpstreamSecrets"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListUpstreamSecretsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.ListUpstreamSecretsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("ListUpstreamSecrets"))
              .build();
        }
      }
    }
    return getListUpstreamSecretsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.DeleteUpstreamSecretRequest,
      dev.helixflow.v1.DeleteUpstreamSecretResponse> getDeleteUpstreamSecretMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteUpstreamSecret",
      requestType = dev.helixflow.v1.DeleteUpstreamSecretRequest.class,
      responseType = dev.helixflow.v1.DeleteUpstreamSecretResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.DeleteUpstreamSecretRequest,
      dev.helixflow.v1.DeleteUpstreamSecretResponse> getDeleteUpstreamSecretMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.DeleteUpstreamSecretRequest, dev.helixflow.v1.DeleteUpstreamSecretResponse> getDeleteUpstreamSecretMethod;
    if ((getDeleteUpstreamSecretMethod = AdminGrpc.getDeleteUpstreamSecretMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getDeleteUpstreamSecretMethod = AdminGrpc.getDeleteUpstreamSecretMethod) == null) {
          AdminGrpc.getDeleteUpstreamSecretMethod = getDeleteUpstreamSecretMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.DeleteUpstreamSecretRequest, dev.helixflow.v1.DeleteUpstreamSecretResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteUpstreamSecret"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.DeleteUpstreamSecretRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.DeleteUpstreamSecretResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("DeleteUpstreamSecret"))
              .build();
        }
      }
    }
    return getDeleteUpstreamSecretMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.helixflow.v1.RotateUpstreamSecretsRequest,
      dev.helixflow.v1.RotateUpstreamSecretsResponse> getRotateUpstreamSecretsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RotateUpstreamSecrets",
      requestType = dev.helixflow.v1.RotateUpstreamSecretsRequest.class,
      responseType = dev.helixflow.v1.RotateUpstreamSecretsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.helixflow.v1.RotateUpstreamSecretsRequest,
      dev.helixflow.v1.RotateUpstreamSecretsResponse> getRotateUpstreamSecretsMethod() {
    io.grpc.MethodDescriptor<dev.helixflow.v1.RotateUpstreamSecretsRequest, dev.helixflow.v1.RotateUpstreamSecretsResponse> getRotateUpstreamSecretsMethod;
    if ((getRotateUpstreamSecretsMethod = AdminGrpc.getRotateUpstreamSecretsMethod) == null) {
      synchronized (AdminGrpc.class) {
        if ((getRotateUpstreamSecretsMethod = AdminGrpc.getRotateUpstreamSecretsMethod) == null) {
          AdminGrpc.getRotateUpstreamSecretsMethod = getRotateUpstreamSecretsMethod =
              io.grpc.MethodDescriptor.<dev.helixflow.v1.RotateUpstreamSecretsRequest, dev.helixflow.v1.RotateUpstreamSecretsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RotateUpstreamSecrets"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.RotateUpstreamSecretsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.helixflow.v1.RotateUpstreamSecretsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminMethodDescriptorSupplier("RotateUpstreamSecrets"))
              .build();
        }
      }
    }
    return getRotateUpstreamSecretsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static AdminStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminStub>() {
        @java.lang.Override
        public AdminStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminStub(channel, callOptions);
        }
      };
    return AdminStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static AdminBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminBlockingStub>() {
        @java.lang.Override
        public AdminBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminBlockingStub(channel, callOptions);
        }
      };
    return AdminBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static AdminFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminFutureStub>() {
        @java.lang.Override
        public AdminFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminFutureStub(channel, callOptions);
        }
      };
    return AdminFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Admin manages API keys and reads usage. It is served by the router and
   * needs a credential with PERMISSION_ADMIN.
   * </pre>
   */
  public static abstract class AdminImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * CreateKey makes a new API key. The secret is returned once and never stored.
     * </pre>
     */
    public void createKey(dev.helixflow.v1.CreateKeyRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.CreateKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListKeys lists keys (never their secrets).
     * </pre>
     */
    public void listKeys(dev.helixflow.v1.ListKeysRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListKeysResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListKeysMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetKey shows one key.
     * </pre>
     */
    public void getKey(dev.helixflow.v1.GetKeyRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GetKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * RevokeKey disables a key on every router replica from the next request on. Idempotent.
     * </pre>
     */
    public void revokeKey(dev.helixflow.v1.RevokeKeyRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.RevokeKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRevokeKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetUsage reads per-key usage counters and, with a time range, time-bucketed usage.
     * </pre>
     */
    public void getUsage(dev.helixflow.v1.GetUsageRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GetUsageResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetUsageMethod(), responseObserver);
    }

    /**
     * <pre>
     * WatchWorkers streams this router's view of its workers (health, models, load),
     * one snapshot at once and then one per interval. It aggregates the workers' load reports.
     * </pre>
     */
    public void watchWorkers(dev.helixflow.v1.WatchWorkersRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchWorkersResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchWorkersMethod(), responseObserver);
    }

    /**
     * <pre>
     * WatchRequests streams finished requests seen by this router replica: the most
     * recent ones first (oldest first), then each one as it completes. Never prompts.
     * </pre>
     */
    public void watchRequests(dev.helixflow.v1.WatchRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchRequestsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchRequestsMethod(), responseObserver);
    }

    /**
     * <pre>
     * CreateProject makes a project (a team): a budget, RPM/TPM and models shared by its keys.
     * </pre>
     */
    public void createProject(dev.helixflow.v1.CreateProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.CreateProjectResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateProjectMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListProjects lists projects.
     * </pre>
     */
    public void listProjects(dev.helixflow.v1.ListProjectsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListProjectsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListProjectsMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetProject shows one project with its spend this period and its usage totals.
     * </pre>
     */
    public void getProject(dev.helixflow.v1.GetProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GetProjectResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetProjectMethod(), responseObserver);
    }

    /**
     * <pre>
     * UpdateProject replaces a project's name and limits.
     * </pre>
     */
    public void updateProject(dev.helixflow.v1.UpdateProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.UpdateProjectResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUpdateProjectMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteProject removes a project; keys still in it are refused until moved. Idempotent.
     * </pre>
     */
    public void deleteProject(dev.helixflow.v1.DeleteProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.DeleteProjectResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteProjectMethod(), responseObserver);
    }

    /**
     * <pre>
     * SetUpstreamSecret stores (or replaces) a provider API key for upstream workers,
     * encrypted at rest with AES-256-GCM. The value is never returned by any RPC.
     * </pre>
     */
    public void setUpstreamSecret(dev.helixflow.v1.SetUpstreamSecretRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.SetUpstreamSecretResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetUpstreamSecretMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListUpstreamSecrets lists stored secrets: names, key ids and times, never values.
     * </pre>
     */
    public void listUpstreamSecrets(dev.helixflow.v1.ListUpstreamSecretsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListUpstreamSecretsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListUpstreamSecretsMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteUpstreamSecret removes a stored secret. Idempotent.
     * </pre>
     */
    public void deleteUpstreamSecret(dev.helixflow.v1.DeleteUpstreamSecretRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.DeleteUpstreamSecretResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteUpstreamSecretMethod(), responseObserver);
    }

    /**
     * <pre>
     * RotateUpstreamSecrets re-encrypts every stored secret under the keyring's first key.
     * </pre>
     */
    public void rotateUpstreamSecrets(dev.helixflow.v1.RotateUpstreamSecretsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.RotateUpstreamSecretsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRotateUpstreamSecretsMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getCreateKeyMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.CreateKeyRequest,
                dev.helixflow.v1.CreateKeyResponse>(
                  this, METHODID_CREATE_KEY)))
          .addMethod(
            getListKeysMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.ListKeysRequest,
                dev.helixflow.v1.ListKeysResponse>(
                  this, METHODID_LIST_KEYS)))
          .addMethod(
            getGetKeyMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.GetKeyRequest,
                dev.helixflow.v1.GetKeyResponse>(
                  this, METHODID_GET_KEY)))
          .addMethod(
            getRevokeKeyMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.RevokeKeyRequest,
                dev.helixflow.v1.RevokeKeyResponse>(
                  this, METHODID_REVOKE_KEY)))
          .addMethod(
            getGetUsageMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.GetUsageRequest,
                dev.helixflow.v1.GetUsageResponse>(
                  this, METHODID_GET_USAGE)))
          .addMethod(
            getWatchWorkersMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                dev.helixflow.v1.WatchWorkersRequest,
                dev.helixflow.v1.WatchWorkersResponse>(
                  this, METHODID_WATCH_WORKERS)))
          .addMethod(
            getWatchRequestsMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                dev.helixflow.v1.WatchRequestsRequest,
                dev.helixflow.v1.WatchRequestsResponse>(
                  this, METHODID_WATCH_REQUESTS)))
          .addMethod(
            getCreateProjectMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.CreateProjectRequest,
                dev.helixflow.v1.CreateProjectResponse>(
                  this, METHODID_CREATE_PROJECT)))
          .addMethod(
            getListProjectsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.ListProjectsRequest,
                dev.helixflow.v1.ListProjectsResponse>(
                  this, METHODID_LIST_PROJECTS)))
          .addMethod(
            getGetProjectMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.GetProjectRequest,
                dev.helixflow.v1.GetProjectResponse>(
                  this, METHODID_GET_PROJECT)))
          .addMethod(
            getUpdateProjectMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.UpdateProjectRequest,
                dev.helixflow.v1.UpdateProjectResponse>(
                  this, METHODID_UPDATE_PROJECT)))
          .addMethod(
            getDeleteProjectMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.DeleteProjectRequest,
                dev.helixflow.v1.DeleteProjectResponse>(
                  this, METHODID_DELETE_PROJECT)))
          .addMethod(
            getSetUpstreamSecretMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.SetUpstreamSecretRequest,
                dev.helixflow.v1.SetUpstreamSecretResponse>(
                  this, METHODID_SET_UPSTREAM_SECRET)))
          .addMethod(
            getListUpstreamSecretsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.ListUpstreamSecretsRequest,
                dev.helixflow.v1.ListUpstreamSecretsResponse>(
                  this, METHODID_LIST_UPSTREAM_SECRETS)))
          .addMethod(
            getDeleteUpstreamSecretMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.DeleteUpstreamSecretRequest,
                dev.helixflow.v1.DeleteUpstreamSecretResponse>(
                  this, METHODID_DELETE_UPSTREAM_SECRET)))
          .addMethod(
            getRotateUpstreamSecretsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.helixflow.v1.RotateUpstreamSecretsRequest,
                dev.helixflow.v1.RotateUpstreamSecretsResponse>(
                  this, METHODID_ROTATE_UPSTREAM_SECRETS)))
          .build();
    }
  }

  /**
   * <pre>
   * Admin manages API keys and reads usage. It is served by the router and
   * needs a credential with PERMISSION_ADMIN.
   * </pre>
   */
  public static final class AdminStub extends io.grpc.stub.AbstractAsyncStub<AdminStub> {
    private AdminStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateKey makes a new API key. The secret is returned once and never stored.
     * </pre>
     */
    public void createKey(dev.helixflow.v1.CreateKeyRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.CreateKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListKeys lists keys (never their secrets).
     * </pre>
     */
    public void listKeys(dev.helixflow.v1.ListKeysRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListKeysResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListKeysMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetKey shows one key.
     * </pre>
     */
    public void getKey(dev.helixflow.v1.GetKeyRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GetKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * RevokeKey disables a key on every router replica from the next request on. Idempotent.
     * </pre>
     */
    public void revokeKey(dev.helixflow.v1.RevokeKeyRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.RevokeKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRevokeKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetUsage reads per-key usage counters and, with a time range, time-bucketed usage.
     * </pre>
     */
    public void getUsage(dev.helixflow.v1.GetUsageRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GetUsageResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetUsageMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WatchWorkers streams this router's view of its workers (health, models, load),
     * one snapshot at once and then one per interval. It aggregates the workers' load reports.
     * </pre>
     */
    public void watchWorkers(dev.helixflow.v1.WatchWorkersRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchWorkersResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchWorkersMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WatchRequests streams finished requests seen by this router replica: the most
     * recent ones first (oldest first), then each one as it completes. Never prompts.
     * </pre>
     */
    public void watchRequests(dev.helixflow.v1.WatchRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchRequestsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchRequestsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CreateProject makes a project (a team): a budget, RPM/TPM and models shared by its keys.
     * </pre>
     */
    public void createProject(dev.helixflow.v1.CreateProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.CreateProjectResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateProjectMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListProjects lists projects.
     * </pre>
     */
    public void listProjects(dev.helixflow.v1.ListProjectsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListProjectsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListProjectsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetProject shows one project with its spend this period and its usage totals.
     * </pre>
     */
    public void getProject(dev.helixflow.v1.GetProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.GetProjectResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetProjectMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * UpdateProject replaces a project's name and limits.
     * </pre>
     */
    public void updateProject(dev.helixflow.v1.UpdateProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.UpdateProjectResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUpdateProjectMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteProject removes a project; keys still in it are refused until moved. Idempotent.
     * </pre>
     */
    public void deleteProject(dev.helixflow.v1.DeleteProjectRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.DeleteProjectResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteProjectMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SetUpstreamSecret stores (or replaces) a provider API key for upstream workers,
     * encrypted at rest with AES-256-GCM. The value is never returned by any RPC.
     * </pre>
     */
    public void setUpstreamSecret(dev.helixflow.v1.SetUpstreamSecretRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.SetUpstreamSecretResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetUpstreamSecretMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListUpstreamSecrets lists stored secrets: names, key ids and times, never values.
     * </pre>
     */
    public void listUpstreamSecrets(dev.helixflow.v1.ListUpstreamSecretsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.ListUpstreamSecretsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListUpstreamSecretsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteUpstreamSecret removes a stored secret. Idempotent.
     * </pre>
     */
    public void deleteUpstreamSecret(dev.helixflow.v1.DeleteUpstreamSecretRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.DeleteUpstreamSecretResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteUpstreamSecretMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * RotateUpstreamSecrets re-encrypts every stored secret under the keyring's first key.
     * </pre>
     */
    public void rotateUpstreamSecrets(dev.helixflow.v1.RotateUpstreamSecretsRequest request,
        io.grpc.stub.StreamObserver<dev.helixflow.v1.RotateUpstreamSecretsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRotateUpstreamSecretsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * Admin manages API keys and reads usage. It is served by the router and
   * needs a credential with PERMISSION_ADMIN.
   * </pre>
   */
  public static final class AdminBlockingStub extends io.grpc.stub.AbstractBlockingStub<AdminBlockingStub> {
    private AdminBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateKey makes a new API key. The secret is returned once and never stored.
     * </pre>
     */
    public dev.helixflow.v1.CreateKeyResponse createKey(dev.helixflow.v1.CreateKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListKeys lists keys (never their secrets).
     * </pre>
     */
    public dev.helixflow.v1.ListKeysResponse listKeys(dev.helixflow.v1.ListKeysRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListKeysMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetKey shows one key.
     * </pre>
     */
    public dev.helixflow.v1.GetKeyResponse getKey(dev.helixflow.v1.GetKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RevokeKey disables a key on every router replica from the next request on. Idempotent.
     * </pre>
     */
    public dev.helixflow.v1.RevokeKeyResponse revokeKey(dev.helixflow.v1.RevokeKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRevokeKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetUsage reads per-key usage counters and, with a time range, time-bucketed usage.
     * </pre>
     */
    public dev.helixflow.v1.GetUsageResponse getUsage(dev.helixflow.v1.GetUsageRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetUsageMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchWorkers streams this router's view of its workers (health, models, load),
     * one snapshot at once and then one per interval. It aggregates the workers' load reports.
     * </pre>
     */
    public java.util.Iterator<dev.helixflow.v1.WatchWorkersResponse> watchWorkers(
        dev.helixflow.v1.WatchWorkersRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchWorkersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchRequests streams finished requests seen by this router replica: the most
     * recent ones first (oldest first), then each one as it completes. Never prompts.
     * </pre>
     */
    public java.util.Iterator<dev.helixflow.v1.WatchRequestsResponse> watchRequests(
        dev.helixflow.v1.WatchRequestsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchRequestsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateProject makes a project (a team): a budget, RPM/TPM and models shared by its keys.
     * </pre>
     */
    public dev.helixflow.v1.CreateProjectResponse createProject(dev.helixflow.v1.CreateProjectRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateProjectMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListProjects lists projects.
     * </pre>
     */
    public dev.helixflow.v1.ListProjectsResponse listProjects(dev.helixflow.v1.ListProjectsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListProjectsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetProject shows one project with its spend this period and its usage totals.
     * </pre>
     */
    public dev.helixflow.v1.GetProjectResponse getProject(dev.helixflow.v1.GetProjectRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetProjectMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * UpdateProject replaces a project's name and limits.
     * </pre>
     */
    public dev.helixflow.v1.UpdateProjectResponse updateProject(dev.helixflow.v1.UpdateProjectRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUpdateProjectMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteProject removes a project; keys still in it are refused until moved. Idempotent.
     * </pre>
     */
    public dev.helixflow.v1.DeleteProjectResponse deleteProject(dev.helixflow.v1.DeleteProjectRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteProjectMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetUpstreamSecret stores (or replaces) a provider API key for upstream workers,
     * encrypted at rest with AES-256-GCM. The value is never returned by any RPC.
     * </pre>
     */
    public dev.helixflow.v1.SetUpstreamSecretResponse setUpstreamSecret(dev.helixflow.v1.SetUpstreamSecretRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetUpstreamSecretMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListUpstreamSecrets lists stored secrets: names, key ids and times, never values.
     * </pre>
     */
    public dev.helixflow.v1.ListUpstreamSecretsResponse listUpstreamSecrets(dev.helixflow.v1.ListUpstreamSecretsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListUpstreamSecretsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteUpstreamSecret removes a stored secret. Idempotent.
     * </pre>
     */
    public dev.helixflow.v1.DeleteUpstreamSecretResponse deleteUpstreamSecret(dev.helixflow.v1.DeleteUpstreamSecretRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteUpstreamSecretMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * RotateUpstreamSecrets re-encrypts every stored secret under the keyring's first key.
     * </pre>
     */
    public dev.helixflow.v1.RotateUpstreamSecretsResponse rotateUpstreamSecrets(dev.helixflow.v1.RotateUpstreamSecretsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRotateUpstreamSecretsMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Admin manages API keys and reads usage. It is served by the router and
   * needs a credential with PERMISSION_ADMIN.
   * </pre>
   */
  public static final class AdminFutureStub extends io.grpc.stub.AbstractFutureStub<AdminFutureStub> {
    private AdminFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateKey makes a new API key. The secret is returned once and never stored.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.CreateKeyResponse> createKey(
        dev.helixflow.v1.CreateKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListKeys lists keys (never their secrets).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.ListKeysResponse> listKeys(
        dev.helixflow.v1.ListKeysRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListKeysMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetKey shows one key.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.GetKeyResponse> getKey(
        dev.helixflow.v1.GetKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * RevokeKey disables a key on every router replica from the next request on. Idempotent.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.RevokeKeyResponse> revokeKey(
        dev.helixflow.v1.RevokeKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRevokeKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetUsage reads per-key usage counters and, with a time range, time-bucketed usage.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.GetUsageResponse> getUsage(
        dev.helixflow.v1.GetUsageRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetUsageMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CreateProject makes a project (a team): a budget, RPM/TPM and models shared by its keys.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.CreateProjectResponse> createProject(
        dev.helixflow.v1.CreateProjectRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateProjectMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListProjects lists projects.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.ListProjectsResponse> listProjects(
        dev.helixflow.v1.ListProjectsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListProjectsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetProject shows one project with its spend this period and its usage totals.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.GetProjectResponse> getProject(
        dev.helixflow.v1.GetProjectRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetProjectMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * UpdateProject replaces a project's name and limits.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.UpdateProjectResponse> updateProject(
        dev.helixflow.v1.UpdateProjectRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUpdateProjectMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteProject removes a project; keys still in it are refused until moved. Idempotent.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.DeleteProjectResponse> deleteProject(
        dev.helixflow.v1.DeleteProjectRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteProjectMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SetUpstreamSecret stores (or replaces) a provider API key for upstream workers,
     * encrypted at rest with AES-256-GCM. The value is never returned by any RPC.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.SetUpstreamSecretResponse> setUpstreamSecret(
        dev.helixflow.v1.SetUpstreamSecretRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetUpstreamSecretMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListUpstreamSecrets lists stored secrets: names, key ids and times, never values.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.ListUpstreamSecretsResponse> listUpstreamSecrets(
        dev.helixflow.v1.ListUpstreamSecretsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListUpstreamSecretsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteUpstreamSecret removes a stored secret. Idempotent.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.DeleteUpstreamSecretResponse> deleteUpstreamSecret(
        dev.helixflow.v1.DeleteUpstreamSecretRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteUpstreamSecretMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * RotateUpstreamSecrets re-encrypts every stored secret under the keyring's first key.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.helixflow.v1.RotateUpstreamSecretsResponse> rotateUpstreamSecrets(
        dev.helixflow.v1.RotateUpstreamSecretsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRotateUpstreamSecretsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_KEY = 0;
  private static final int METHODID_LIST_KEYS = 1;
  private static final int METHODID_GET_KEY = 2;
  private static final int METHODID_REVOKE_KEY = 3;
  private static final int METHODID_GET_USAGE = 4;
  private static final int METHODID_WATCH_WORKERS = 5;
  private static final int METHODID_WATCH_REQUESTS = 6;
  private static final int METHODID_CREATE_PROJECT = 7;
  private static final int METHODID_LIST_PROJECTS = 8;
  private static final int METHODID_GET_PROJECT = 9;
  private static final int METHODID_UPDATE_PROJECT = 10;
  private static final int METHODID_DELETE_PROJECT = 11;
  private static final int METHODID_SET_UPSTREAM_SECRET = 12;
  private static final int METHODID_LIST_UPSTREAM_SECRETS = 13;
  private static final int METHODID_DELETE_UPSTREAM_SECRET = 14;
  private static final int METHODID_ROTATE_UPSTREAM_SECRETS = 15;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AdminImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(AdminImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CREATE_KEY:
          serviceImpl.createKey((dev.helixflow.v1.CreateKeyRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.CreateKeyResponse>) responseObserver);
          break;
        case METHODID_LIST_KEYS:
          serviceImpl.listKeys((dev.helixflow.v1.ListKeysRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.ListKeysResponse>) responseObserver);
          break;
        case METHODID_GET_KEY:
          serviceImpl.getKey((dev.helixflow.v1.GetKeyRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.GetKeyResponse>) responseObserver);
          break;
        case METHODID_REVOKE_KEY:
          serviceImpl.revokeKey((dev.helixflow.v1.RevokeKeyRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.RevokeKeyResponse>) responseObserver);
          break;
        case METHODID_GET_USAGE:
          serviceImpl.getUsage((dev.helixflow.v1.GetUsageRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.GetUsageResponse>) responseObserver);
          break;
        case METHODID_WATCH_WORKERS:
          serviceImpl.watchWorkers((dev.helixflow.v1.WatchWorkersRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchWorkersResponse>) responseObserver);
          break;
        case METHODID_WATCH_REQUESTS:
          serviceImpl.watchRequests((dev.helixflow.v1.WatchRequestsRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.WatchRequestsResponse>) responseObserver);
          break;
        case METHODID_CREATE_PROJECT:
          serviceImpl.createProject((dev.helixflow.v1.CreateProjectRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.CreateProjectResponse>) responseObserver);
          break;
        case METHODID_LIST_PROJECTS:
          serviceImpl.listProjects((dev.helixflow.v1.ListProjectsRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.ListProjectsResponse>) responseObserver);
          break;
        case METHODID_GET_PROJECT:
          serviceImpl.getProject((dev.helixflow.v1.GetProjectRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.GetProjectResponse>) responseObserver);
          break;
        case METHODID_UPDATE_PROJECT:
          serviceImpl.updateProject((dev.helixflow.v1.UpdateProjectRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.UpdateProjectResponse>) responseObserver);
          break;
        case METHODID_DELETE_PROJECT:
          serviceImpl.deleteProject((dev.helixflow.v1.DeleteProjectRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.DeleteProjectResponse>) responseObserver);
          break;
        case METHODID_SET_UPSTREAM_SECRET:
          serviceImpl.setUpstreamSecret((dev.helixflow.v1.SetUpstreamSecretRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.SetUpstreamSecretResponse>) responseObserver);
          break;
        case METHODID_LIST_UPSTREAM_SECRETS:
          serviceImpl.listUpstreamSecrets((dev.helixflow.v1.ListUpstreamSecretsRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.ListUpstreamSecretsResponse>) responseObserver);
          break;
        case METHODID_DELETE_UPSTREAM_SECRET:
          serviceImpl.deleteUpstreamSecret((dev.helixflow.v1.DeleteUpstreamSecretRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.DeleteUpstreamSecretResponse>) responseObserver);
          break;
        case METHODID_ROTATE_UPSTREAM_SECRETS:
          serviceImpl.rotateUpstreamSecrets((dev.helixflow.v1.RotateUpstreamSecretsRequest) request,
              (io.grpc.stub.StreamObserver<dev.helixflow.v1.RotateUpstreamSecretsResponse>) responseObserver);
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

  private static abstract class AdminBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    AdminBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.helixflow.v1.AdminOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("Admin");
    }
  }

  private static final class AdminFileDescriptorSupplier
      extends AdminBaseDescriptorSupplier {
    AdminFileDescriptorSupplier() {}
  }

  private static final class AdminMethodDescriptorSupplier
      extends AdminBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    AdminMethodDescriptorSupplier(String methodName) {
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
      synchronized (AdminGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new AdminFileDescriptorSupplier())
              .addMethod(getCreateKeyMethod())
              .addMethod(getListKeysMethod())
              .addMethod(getGetKeyMethod())
              .addMethod(getRevokeKeyMethod())
              .addMethod(getGetUsageMethod())
              .addMethod(getWatchWorkersMethod())
              .addMethod(getWatchRequestsMethod())
              .addMethod(getCreateProjectMethod())
              .addMethod(getListProjectsMethod())
              .addMethod(getGetProjectMethod())
              .addMethod(getUpdateProjectMethod())
              .addMethod(getDeleteProjectMethod())
              .addMethod(getSetUpstreamSecretMethod())
              .addMethod(getListUpstreamSecretsMethod())
              .addMethod(getDeleteUpstreamSecretMethod())
              .addMethod(getRotateUpstreamSecretsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
