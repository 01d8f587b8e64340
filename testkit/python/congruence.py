"""Loads one dataset through the official qdrant-client into three places and prints what each
answers, as JSON, for the node congruence test to compare:

- "rest":  the test server, over REST;
- "grpc":  the test server, over gRPC (prefer_grpc=True);
- "local": qdrant-client's own local mode (QdrantClient(":memory:")), the reference.

Usage: python congruence.py SPEC.json   (SPEC: {dataset: {collection, config, payloadIndexes,
points}, rest_url, grpc_port, api_key?, canonical_uuids_for_local}). Prints one JSON object.
Comparisons and the excused deviations live in the node test, so this script only reports.
"""

import json
import sys
import uuid
import warnings

from qdrant_client import QdrantClient, models

PAGE = 7  # small and prime, so pages end at awkward places (an int page running into UUIDs)


def canonical_id(point_id):
    if isinstance(point_id, str):
        return str(uuid.UUID(point_id))
    return point_id


def vectors_config(config):
    vectors = config.get("vectors")
    if vectors is None:
        return {}
    if "size" in vectors:
        return models.VectorParams(**vectors)
    return {name: models.VectorParams(**params) for name, params in vectors.items()}


def to_vector(value):
    if isinstance(value, dict) and "indices" in value:
        return models.SparseVector(indices=value["indices"], values=value["values"])
    return value


def to_point(raw, canonical):
    vector = raw.get("vector")
    if isinstance(vector, dict):
        vector = {name: to_vector(v) for name, v in vector.items()}
    point_id = canonical_id(raw["id"]) if canonical else raw["id"]
    return models.PointStruct(id=point_id, vector=vector if vector is not None else {}, payload=raw.get("payload"))


def load(client, name, dataset, canonical):
    config = dataset["config"]
    sparse = {k: models.SparseVectorParams(**v) for k, v in (config.get("sparse_vectors") or {}).items()}
    client.create_collection(name, vectors_config=vectors_config(config), sparse_vectors_config=sparse or None)
    for index in dataset.get("payloadIndexes") or []:
        client.create_payload_index(name, index["field_name"], index["field_schema"], wait=True)
    points = dataset["points"]
    for start in range(0, len(points), 50):
        batch = [to_point(p, canonical) for p in points[start : start + 50]]
        client.upsert(name, points=batch, wait=True)


def vector_json(v):
    if isinstance(v, models.SparseVector):
        return {"indices": list(v.indices), "values": [float(x) for x in v.values]}
    if isinstance(v, dict):
        return {k: vector_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [vector_json(x) if isinstance(x, list) else float(x) for x in v]
    return v


def record_json(r):
    return {"id": r.id, "payload": r.payload, "vector": vector_json(r.vector)}


def scroll_pages(client, name, **kwargs):
    pages, offset = [], None
    while True:
        records, offset = client.scroll(name, limit=kwargs.pop("limit", PAGE), offset=offset, **kwargs)
        pages.append({"records": [record_json(r) for r in records], "next_page_offset": offset})
        if offset is None or len(pages) > 10_000:
            return pages


def count_filters(ids):
    f, m = models, models.FieldCondition
    return {
        "all": None,
        "colour=red": f.Filter(must=[m(key="colour", match=f.MatchValue(value="red"))]),
        "colour any non-ascii": f.Filter(must=[m(key="colour", match=f.MatchAny(any=["чёрный", "白"]))]),
        "colour except": f.Filter(must=[m(key="colour", match=f.MatchExcept(**{"except": ["red", "blue"]}))]),
        "count range": f.Filter(must=[m(key="count", range=f.Range(gte=-100, lt=500))]),
        "price range float": f.Filter(must=[m(key="price", range=f.Range(gt=99.5, lte=300.25))]),
        "in_stock": f.Filter(must=[m(key="in_stock", match=f.MatchValue(value=True))]),
        "created_at since 2015": f.Filter(must=[m(key="created_at", range=f.DatetimeRange(gte="2015-01-01T00:00:00Z"))]),
        "tags values_count>=2": f.Filter(must=[m(key="tags", values_count=f.ValuesCount(gte=2))]),
        "has image": f.Filter(must=[f.HasVectorCondition(has_vector="image")]),
        "lacks keywords": f.Filter(must_not=[f.HasVectorCondition(has_vector="keywords")]),
        "note is null": f.Filter(must=[f.IsNullCondition(is_null=f.PayloadField(key="note"))]),
        "tags is empty": f.Filter(must=[f.IsEmptyCondition(is_empty=f.PayloadField(key="tags"))]),
        "nested email is null": f.Filter(must=[f.IsNullCondition(is_null=f.PayloadField(key="meta.author.email"))]),
        "nested leaf < 40": f.Filter(must=[m(key="meta.depth.a.b.c.leaf", range=f.Range(lt=40))]),
        "payload key id": f.Filter(must=[m(key="id", match=f.MatchValue(value="ext-0"))]),
        "has_id": f.Filter(must=[f.HasIdCondition(has_id=ids)]),
        "should / must_not": f.Filter(
            should=[m(key="colour", match=f.MatchValue(value="red")), m(key="count", range=f.Range(gt=900))],
            must_not=[f.HasVectorCondition(has_vector="image")],
        ),
    }


def snapshot(client, name, retrieve_ids):
    info = client.get_collection(name)
    params = info.config.params
    red = models.Filter(must=[models.FieldCondition(key="colour", match=models.MatchValue(value="red"))])
    return {
        "info": {
            "points_count": info.points_count,
            "vectors": json.loads(json.dumps(params.vectors, default=lambda o: o.model_dump(exclude_none=True, mode="json"))),
            "sparse_vectors": {k: v.model_dump(exclude_none=True, mode="json") for k, v in (params.sparse_vectors or {}).items()},
        },
        "scroll_all": scroll_pages(client, name, with_payload=True, with_vectors=True),
        "scroll_red": scroll_pages(client, name, limit=5, scroll_filter=red, with_payload=["colour"], with_vectors=False),
        "scroll_selected": scroll_pages(client, name, limit=1000, with_payload=["title", "meta", "名前"], with_vectors=["text", "keywords"]),
        "scroll_excluded": scroll_pages(client, name, limit=1000, with_payload=models.PayloadSelectorExclude(exclude=["meta", "mixed_list"])),
        "counts": {k: client.count(name, count_filter=f, exact=True).count for k, f in count_filters(retrieve_ids[:4]).items()},
        "retrieve": [record_json(r) for r in client.retrieve(name, retrieve_ids, with_payload=True, with_vectors=True)],
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    dataset = spec["dataset"]
    ids = [canonical_id(p["id"]) for p in dataset["points"]]
    # Unknown ids (an int and a UUID) are skipped by retrieve; a repeated id is returned once.
    retrieve_ids = [ids[-1], ids[0], ids[3], ids[7], ids[3], 987654321, "00000000-0000-4000-8000-00000000dead"]
    key = spec.get("api_key")
    base = dataset["collection"]
    clients = {
        "rest": QdrantClient(url=spec["rest_url"], api_key=key, https=False, check_compatibility=False),
        "grpc": QdrantClient(url=spec["rest_url"], grpc_port=spec["grpc_port"], prefer_grpc=True, api_key=key, https=False, check_compatibility=False),
        "local": QdrantClient(":memory:"),
    }
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # local mode warns that payload indexes do nothing; api key over http
        for kind, client in clients.items():
            name = base if kind == "local" else f"{base}_{kind}"
            load(client, name, dataset, canonical=kind == "local" and spec.get("canonical_uuids_for_local", True))
            out[kind] = snapshot(client, name, retrieve_ids)
            client.close()
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
