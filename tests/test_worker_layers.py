"""src/worker is layered: no file depends, directly or through others, on a
file that depends on it (worker.h lists the layers). A .c file depends on
the modules whose headers it includes; worker.h itself holds only types."""
import os
import re

from conftest import ROOT

WORKER = os.path.join(ROOT, "src", "worker")
INCLUDE = re.compile(r'^#include "worker/(\w+)\.h"', re.M)


def module_graph():
    graph = {}
    for name in os.listdir(WORKER):
        stem, ext = os.path.splitext(name)
        if ext not in (".c", ".h") or stem == "worker":
            continue
        with open(os.path.join(WORKER, name)) as f:
            deps = set(INCLUDE.findall(f.read())) - {stem, "worker"}
        graph.setdefault(stem, set()).update(deps)
    return graph


def test_worker_modules_form_no_cycle():
    graph = module_graph()
    assert {"pending", "connection", "http_parse", "router", "deadlines"} <= set(graph)
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", "a cycle: " + " -> ".join(path + [m])
        state[m] = "open"
        for d in sorted(graph.get(m, ())):
            visit(d, path + [m])
        state[m] = "done"

    for m in sorted(graph):
        visit(m, [])


def test_lower_layers_name_no_upper_one():
    graph = module_graph()
    # pending, the deadline lists and the parser reach their users only through callbacks
    assert graph["deadlines"] == set()
    assert not graph["pending"] & {"registration", "nats_endpoint", "connection", "router", "handlers"}
    assert not graph["http_parse"] & {"router", "connection", "handlers"}
    assert not graph["connection"] & {"router", "handlers", "registration"}


def test_worker_files_are_short():
    for name in os.listdir(WORKER):
        if name.endswith(".c"):
            with open(os.path.join(WORKER, name)) as f:
                n = sum(1 for _ in f)
            assert n <= 420, "%s has %d lines" % (name, n)
