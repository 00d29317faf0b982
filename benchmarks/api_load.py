#!/usr/bin/env python3
"""The API under load, on a real-sized model: how much 20 clients polling /progress at 10 Hz and a
client sending malformed requests slow a generation down, and whether any request fails or is lost.

Start a server first (atelier-cli serve --model FILE --port 7860), then:
    benchmarks/api_load.py [--url http://127.0.0.1:7860] [--size 256] [--steps 4] [--runs 2]
Plain and loaded generations alternate (after one warm-up that loads the model), so that drift in
the machine's speed falls on both. Standard library only.
"""
import argparse
import json
import statistics
import threading
import time
import urllib.error
import urllib.request


def request(url, body=None, timeout=3600):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def generate(base, body):
    start = time.monotonic()
    status, answer = request(base + "/sdapi/v1/txt2img", body)
    images = json.loads(answer).get("images", []) if status == 200 else []
    if status != 200 or len(images) != 1:
        raise SystemExit(f"generation failed: {status} {answer[:200]!r}")
    return time.monotonic() - start


def under_load(base, body, counts):
    done = threading.Event()

    def poll():
        while not done.is_set():
            status, _ = request(base + "/sdapi/v1/progress", timeout=30)
            counts["polls"] += 1
            counts["poll_failures"] += status != 200
            time.sleep(0.1)

    def malformed():
        bad = [b"{not json", b"[]", json.dumps({"steps": "many"}).encode(), json.dumps({"width": -8}).encode()]
        while not done.is_set() and counts["malformed"] < counts["malformed_limit"]:
            status, _ = request(base + "/sdapi/v1/txt2img", bad[counts["malformed"] % len(bad)], timeout=30)
            counts["malformed"] += 1
            counts["malformed_not_4xx"] += not 400 <= status < 500
            time.sleep(0.02)

    threads = [threading.Thread(target=poll) for _ in range(20)] + [threading.Thread(target=malformed)]
    for thread in threads:
        thread.start()
    try:
        return generate(base, body)
    finally:
        done.set()
        for thread in threads:
            thread.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    body = {"prompt": "a lighthouse at dusk", "steps": args.steps, "width": args.size, "height": args.size,
            "seed": 3, "sampler_name": "Euler"}
    print(f"warm-up (loads the model): {generate(args.url, body):.2f} s")
    counts = {"polls": 0, "poll_failures": 0, "malformed": 0, "malformed_not_4xx": 0, "malformed_limit": 200}
    plain, loaded = [], []
    for run in range(args.runs):
        plain.append(generate(args.url, body))
        loaded.append(under_load(args.url, body, counts))
        print(f"run {run + 1}: plain {plain[-1]:.2f} s, under load {loaded[-1]:.2f} s")
    slowdown = statistics.median(loaded) / statistics.median(plain) - 1
    print(f"{args.size}² × {args.steps} steps: plain median {statistics.median(plain):.2f} s, under load "
          f"{statistics.median(loaded):.2f} s, slowdown {100 * slowdown:+.1f} %")
    print(f"polls {counts['polls']} ({counts['poll_failures']} failed), malformed requests {counts['malformed']} "
          f"({counts['malformed_not_4xx']} not answered 4xx); every generation answered with its image")


if __name__ == "__main__":
    main()
