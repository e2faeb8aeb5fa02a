"""Compiles the project's .proto files to Python modules (message and gRPC stubs) for the Python tests.

Uses Debian's protoc (protobuf-compiler, 3.21) with grpc_python_plugin (protobuf-compiler-grpc): the protoc bundled
with Debian's python3-grpc-tools is 3.5, which predates proto3 `optional` (device.proto's Physical.battery_percent).
Falls back to grpc_tools when the plugin is missing.
"""
import os
import shutil
import subprocess
import sys


def compile_protos(proto_root, out_dir, protos):
    """Writes <name>_pb2.py and <name>_pb2_grpc.py for each of `protos` (paths relative to proto_root) to out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    protoc, plugin = shutil.which("protoc"), shutil.which("grpc_python_plugin")
    if protoc and plugin:
        command = [protoc, f"-I{proto_root}", f"--python_out={out_dir}", f"--grpc_out={out_dir}",
                   f"--plugin=protoc-gen-grpc={plugin}", *protos]
    else:
        command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{proto_root}", f"--python_out={out_dir}",
                   f"--grpc_python_out={out_dir}", *protos]
    subprocess.run(command, check=True, cwd=proto_root)
