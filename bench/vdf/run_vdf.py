"""vdf-io 0.1.248 as the bench's peer row (bench/measure-vdf.ts starts this in .venv-vdf).

Runs vdf-io's own Qdrant export (scroll -> parquet files) and Milvus import (parquet -> insert),
the two steps a user runs with `export_vdf qdrant ...` then `import_vdf milvus ...`, with the args
those CLIs would hand over. The CLIs themselves are not used: at start they import every vector
database's client (we install only Qdrant's and Milvus's) and send telemetry.

The one shim: vdf-io reads `get_collection(...).vectors_count` for its progress total, a field
Qdrant 1.19 no longer sends; it is filled with `points_count`. (And the gRPC port, which vdf-io
has no option for, is handed to QdrantClient: ours is not the default 6334.)

Usage: run_vdf.py QDRANT_REST_URL QDRANT_GRPC_PORT COLLECTION MILVUS_URI WORK_DIR
Prints `VDF_RESULT {"exported": n, "exportSeconds": s, "importSeconds": s}` on success.
"""
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
os.environ["DISABLE_TELEMETRY_VECTORIO"] = "1"

from qdrant_client import QdrantClient  # noqa: E402

_get_collection = QdrantClient.get_collection


def _get_collection_with_vectors_count(self, collection_name, *args, **kwargs):
    info = _get_collection(self, collection_name, *args, **kwargs)
    if getattr(info, "vectors_count", None) is None:
        object.__setattr__(info, "vectors_count", info.points_count)
    return info


QdrantClient.get_collection = _get_collection_with_vectors_count
_init = QdrantClient.__init__


def _init_with_grpc_port(self, *args, **kwargs):
    kwargs.setdefault("grpc_port", int(sys.argv[2]))
    _init(self, *args, **kwargs)


QdrantClient.__init__ = _init_with_grpc_port

import vdf_io  # noqa: E402
from vdf_io.constants import ID_COLUMN  # noqa: E402
from vdf_io.export_vdf.qdrant_export import ExportQdrant  # noqa: E402
from vdf_io.import_vdf.milvus_import import ImportMilvus  # noqa: E402


def main():
    qdrant_url, _grpc_port, collection, milvus_uri, work_dir = sys.argv[1:6]
    os.makedirs(work_dir, exist_ok=True)
    os.chdir(work_dir)  # vdf-io writes its vdf_<time>_<hash>/ directory into the cwd
    export_args = {
        "vector_database": "qdrant", "library_version": vdf_io.__version__,
        "url": qdrant_url, "collections": collection, "prefer_grpc": True, "qdrant_api_key": "",
        "model_name": "NOT_PROVIDED", "max_file_size": 1024, "push_to_hub": False, "public": False,
    }
    t0 = time.perf_counter()
    exported = ExportQdrant.export_vdb(export_args)
    t1 = time.perf_counter()
    import_args = {
        "vector_database": "milvus", "library_version": vdf_io.__version__,
        "dir": os.path.join(work_dir, exported.vdf_directory), "hf_dataset": None, "subset": False,
        "max_num_rows": None, "create_new": False, "vector_columns": "vector", "metric": "Cosine",
        "id_column": ID_COLUMN, "batch_size": None, "cwd": work_dir, "uri": milvus_uri, "token": "",
    }
    ImportMilvus.import_vdb(import_args)
    t2 = time.perf_counter()
    out = {"exported": export_args["exported_count"], "exportSeconds": t1 - t0, "importSeconds": t2 - t1}
    print("VDF_RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
