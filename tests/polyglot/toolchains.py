"""Build each polyglot client once per session into a scratch directory.

Each builder returns the command line that runs the client; the client's own
arguments (HOST:PORT [CA_PEM]) go after it. Under ``CI=true`` a missing
toolchain fails the test; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from prerequisites import unavailable

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests/polyglot"
JAVA_JARS = Path("/usr/share/java")
# Debian's netty lacks JDK ALPN, so TLS goes through OpenSSL (netty-tcnative). Netty loads the
# JNI library only under the name libnetty_tcnative.so and checks that name from inside it,
# so the build copies it under that name (a link is not enough).
TCNATIVE_JNI = Path("/usr/lib/x86_64-linux-gnu/jni/libnetty-tcnative.so")
GOCODE = Path("/usr/share/gocode")
# grpc-java 1.41 on netty, as Debian packages them (see tools/setup-system.sh).
JAVA_CLASSPATH = [
    *(f"grpc-{name}" for name in ("api", "core", "context", "netty", "protobuf", "protobuf-lite", "stub")),
    "protobuf",
    "guava",
    "error_prone_annotations",
    "perfmark-api",
    "geronimo-annotation-1.3-spec",
    "netty-tcnative",
    *(
        f"netty-{name}"
        for name in (
            "buffer",
            "codec",
            "codec-http",
            "codec-http2",
            "codec-socks",
            "common",
            "handler",
            "handler-proxy",
            "resolver",
            "transport",
            "transport-native-unix-common",
        )
    ),
]


@dataclass(frozen=True)
class Client:
    """How to run one built client: argv (then HOST:PORT [CA_PEM]) and extra environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


Builder = Callable[[Path], Client]


def _need(*commands: str) -> None:
    for command in commands:
        if shutil.which(command) is None:
            unavailable(f"`{command}` not found; run `make setup` (tools/setup-system.sh)")


def _run(args: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, f"build failed: {' '.join(args)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def build_ts(out: Path) -> Client:
    _need("node")
    tsc = ROOT / "tools/ts/node_modules/.bin/tsc"
    if not tsc.exists():
        unavailable("tools/ts/node_modules is missing; run `make setup` (npm ci --prefix tools/ts)")
    _run([str(tsc), "-p", str(HERE / "ts/tsconfig.json"), "--outDir", str(out)])
    node_modules = str(ROOT / "tools/ts/node_modules")
    return Client(["node", str(out / "tests/polyglot/ts/client.js")], {"NODE_PATH": node_modules})


def build_go(out: Path) -> Client:
    _need("go")
    if not (GOCODE / "src/google.golang.org/grpc").is_dir():
        unavailable("Debian golang-google-grpc-dev is missing; run `make setup`")
    # GOPATH mode: the import path helixflow/gen/go/helixflow/v1 resolves through a link to this checkout.
    gopath = out / "gopath"
    (gopath / "src").mkdir(parents=True)
    (gopath / "src/helixflow").symlink_to(ROOT)
    env = {
        **os.environ,
        "GOPATH": f"{gopath}:{GOCODE}",
        "GO111MODULE": "off",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(out / "gocache"),
    }
    binary = out / "client"
    _run(["go", "build", "-o", str(binary), "."], cwd=gopath / "src/helixflow/tests/polyglot/go", env=env)
    return Client([str(binary)])


def build_cpp(out: Path) -> Client:
    _need("g++", "pkg-config")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "grpc++", "protobuf"], capture_output=True, text=True)
    if flags.returncode != 0:
        unavailable("Debian libgrpc++-dev is missing; run `make setup`")
    cflags = subprocess.run(["pkg-config", "--cflags", "grpc++", "protobuf"], capture_output=True, text=True).stdout
    gen = ROOT / "gen/cpp/helixflow/v1"
    # Only what the Inference client needs; -O0 keeps the generated code quick to compile.
    sources = [HERE / "cpp/client.cc", gen / "inference.pb.cc", gen / "inference.grpc.pb.cc", gen / "common.pb.cc"]
    objects = [out / f"{source.name}.o" for source in sources]

    def compile_one(pair: tuple[Path, Path]) -> None:
        source, obj = pair
        _run(["g++", "-std=c++17", "-O0", "-c", f"-I{ROOT / 'gen/cpp'}", *cflags.split(), str(source), "-o", str(obj)])

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(compile_one, zip(sources, objects, strict=True)))
    binary = out / "client"
    _run(["g++", "-o", str(binary), *map(str, objects), *flags.stdout.split()])
    return Client([str(binary)])


def build_java(out: Path) -> Client:
    _need("javac", "java")
    jars = [JAVA_JARS / f"{name}.jar" for name in JAVA_CLASSPATH]
    missing = [path.name for path in [*jars, TCNATIVE_JNI] if not path.exists()]
    if missing:
        unavailable(f"Java libraries missing ({', '.join(missing)}); run `make setup`")
    classpath = os.pathsep.join(map(str, jars))
    # -sourcepath compiles only the generated classes the client uses.
    javac = ["javac", "-nowarn", "-d", str(out), "-cp", classpath]
    _run([*javac, "-sourcepath", str(ROOT / "gen/java"), str(HERE / "java/Client.java")])
    jni = out / "jni"
    jni.mkdir()
    shutil.copyfile(TCNATIVE_JNI, jni / "libnetty_tcnative.so")
    return Client(["java", f"-Djava.library.path={jni}", "-cp", f"{out}{os.pathsep}{classpath}", "Client"])


def build_ruby(out: Path) -> Client:
    _need("ruby")
    probe = subprocess.run(["ruby", "-e", "require 'grpc'; require 'google/protobuf'"], capture_output=True)
    if probe.returncode != 0:
        unavailable("Ruby gems grpc/google-protobuf missing (Debian ruby-grpc ruby-google-protobuf); run `make setup`")
    return Client(["ruby", "-I", str(ROOT / "gen/ruby"), str(HERE / "ruby/client.rb")])


BUILDERS: dict[str, Builder] = {
    "ts": build_ts,
    "go": build_go,
    "cpp": build_cpp,
    "java": build_java,
    "ruby": build_ruby,
}
