"""Reference AB-MCTS-A runs: Sakana AI's TreeQuest (Apache-2.0, PyPI `treequest`) driven against
the project's fake OpenAI server and fake reward server (the simulated pool of the methods
benchmark), for comparison with the project's own `abmcts` method.

Run by bench/methods.ts with the venv made by bench/treequest/setup.sh:
    tools/treequest-venv/bin/python bench/treequest/drive.py < job.json > runs.jsonl

Job (JSON on stdin):
    {"openaiUrl": ".../v1", "rewardUrl": ".../reward", "agents": [{"name", "model"}],
     "prompts": [{"id", "text"}], "budgets": [8, ...], "seeds": [0, ...],
     "rewardRange": [lo, hi], "refineTemplate": "...{{prompt}}...{{response}}..."}
Output: one JSON line per (budget, seed, prompt):
    {"budget", "seed", "promptId", "best", "bestQuality", "generations", "kinds": {"fresh": n, "refine": n}}

Each agent is one TreeQuest action ("Multi-LLM AB-MCTS"); expanding the root asks the agent
for a fresh answer, expanding a node asks it to refine that node's answer. Scores given to
TreeQuest follow the project's stated rule: clamp((raw - lo) / (hi - lo), 0, 1). The best
response is the one with the highest raw reward, as in the project. Randomness: numpy's global
generator (which scipy's rvs uses), seeded per (seed, prompt): the streams differ from the
project's, so compare distributions, not single decisions.
"""

import http.client
import json
import re
import sys
import zlib
from functools import partial
from urllib.parse import urlparse

import numpy as np
import treequest as tq

QUALITY = re.compile(r"\[q=(-?[0-9]*\.?[0-9]+)\]")


class Endpoint:
    """A persistent HTTP/1.1 connection to one local test double."""

    def __init__(self, url):
        u = urlparse(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def post(self, path, body):
        data = json.dumps(body).encode()
        for attempt in range(3):
            try:
                self.conn.request("POST", path, data, {"content-type": "application/json"})
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{path}: HTTP {resp.status}: {payload[:200]!r}")
                return json.loads(payload)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise


def main():
    job = json.load(sys.stdin)
    openai = Endpoint(job["openaiUrl"])
    reward = Endpoint(job["rewardUrl"])
    lo, hi = job["rewardRange"]
    template = job["refineTemplate"]
    chat_path = openai.path.rstrip("/") + "/chat/completions"

    for budget in job["budgets"]:
        for seed in job["seeds"]:
            for prompt in job["prompts"]:
                calls = {"n": 0}
                made = []  # (raw reward, quality, kind)

                def generate(agent, parent_state=None, prompt=prompt, seed=seed, calls=calls, made=made):
                    i = calls["n"]
                    calls["n"] += 1
                    if parent_state is None:
                        kind = "fresh"
                        messages = [{"role": "user", "content": prompt["text"]}]
                    else:
                        kind = "refine"
                        content = template.replace("{{prompt}}", prompt["text"]).replace("{{response}}", parent_state["text"])
                        messages = [{"role": "user", "content": content}]
                    call_seed = zlib.crc32(f"treequest|{seed}|{prompt['id']}|{i}".encode())
                    out = openai.post(chat_path, {"model": agent["model"], "messages": messages, "seed": call_seed})
                    text = out["choices"][0]["message"]["content"]
                    raw = reward.post(reward.path, {"prompt": prompt["text"], "response": text, "model": agent["model"]})["reward"]
                    q = QUALITY.search(text)
                    made.append((raw, float(q.group(1)) if q else None, kind))
                    score = min(1.0, max(0.0, (raw - lo) / (hi - lo)))
                    return {"text": text, "raw": raw}, score

                np.random.seed(zlib.crc32(f"treequest|{seed}|{prompt['id']}|{budget}".encode()))
                algo = tq.ABMCTSA()  # defaults: Gaussian (NIX m 0, kappa 1, nu 1, tau^2 0.1), multiarm_bandit_thompson
                state = algo.init_tree()
                fns = {agent["name"]: partial(generate, agent) for agent in job["agents"]}
                for _ in range(budget):
                    state = algo.step(state, fns, inplace=True)
                best = max(range(len(made)), key=lambda k: (made[k][0], -k))
                kinds = {"fresh": sum(1 for m in made if m[2] == "fresh"), "refine": sum(1 for m in made if m[2] == "refine")}
                print(
                    json.dumps(
                        {
                            "budget": budget,
                            "seed": seed,
                            "promptId": prompt["id"],
                            "best": made[best][0],
                            "bestQuality": made[best][1],
                            "generations": len(made),
                            "kinds": kinds,
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
