"""The harmonica Jupyter kernel, driven the way Jupyter drives it.

Run by scripts/test-all after the kernelspec is installed into the test
virtualenv: the conformance suite (jupyter_kernel_test), message signatures,
interrupts, and the example notebooks executed headless with nbclient.
"""

from __future__ import annotations

import pathlib
import queue
import shutil
import tempfile
import time
import unittest

import jupyter_kernel_test as jkt
import nbformat
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
STUDY = ROOT / "examples" / "reference_ex2.yaml"
KERNEL = "harmonica"

# A small SGD-lab experiment: Li and Yuan's two phases and a saddle escape, under a second.
EXPERIMENT = """experiment: [
  two_layer {
    name: "two-phase"
    d: 100
    teacher: orthogonal { scale: 0.6 }
    init: zero {}
    optimizer: gd { lr: 0.001 }
    steps: 300
  },
  saddle { name: "saddle-gd", problem: quadratic_quartic {}, start: [1.0, 1e-8], optimizer: gd { lr: 0.1 }, steps: 300 },
]"""

# A tuning study whose every trial trains a d = 100 net for a while: a stage of it
# runs long enough to be interrupted.
SLOW_STUDY = """space {
  lr: log(0.0001 .. 0.001) bits 2
}
objective sgd {
  direction: minimize
  metric: log_loss
  d: 100
  optimizer: sgd { batch: 200, lr: 0.001 }
  steps: 2000
}"""


def run_ok(kc, code: str, timeout: float = 300) -> dict:
    """Executes `code`, failing the test when the kernel reports an error."""
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", (code, reply["content"])
    return reply


class HarmonicaKernelTests(jkt.KernelTests):
    """The Jupyter conformance suite over a session with one stage run."""

    kernel_name = KERNEL
    language_name = "harmonica"
    file_extension = ".study"

    code_hello_world = 'print "hello, world"'
    code_stderr = 'warn "a warning for stderr"'
    code_generate_error = "florp"
    code_execute_result = [
        {"code": "help fix", "result": "fix NAME = VALUE\n  fix a parameter by hand for the next stages\n"},
        {"code": "best", "mime": "text/html"},
        {"code": "terms", "mime": "text/html"},
        {"code": "experiment", "mime": "text/html"},
    ]
    code_display_data = [
        {"code": "plot convergence", "mime": "image/svg+xml"},
        {"code": "plot values", "mime": "image/svg+xml"},
        {"code": "plot two-phase", "mime": "image/svg+xml"},
    ]
    completion_samples = [
        {"text": "st", "matches": {"step", "study"}},
        {"text": "plot c", "matches": {"convergence"}},
        {"text": "plot two", "matches": {"two-phase"}},
        {"text": "expe", "matches": {"experiment"}},
        {"text": "fix x1", "matches": {"x1"} | {f"x1{i}" for i in range(10)}},
    ]
    complete_code_samples = ["step", "best", "fix x3 = 1", "optimizer harmonica { samples: 100 }"]
    incomplete_code_samples = ["optimizer harmonica {\n  samples: 100\n", "space {\n  batch: {16, 32"]
    invalid_code_samples = ["florp", "steps 3", "space { x: }"]
    code_inspect_sample = "step"
    code_history_pattern = "help*"
    supported_history_operations = ("tail", "range", "search")

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        run_ok(cls.kc, f"load {STUDY}")
        run_ok(cls.kc, "step")
        run_ok(cls.kc, EXPERIMENT)
        run_ok(cls.kc, "experiment")

    def test_execute_result_is_the_rendered_table(self) -> None:
        self.flush_channels()
        reply, outputs = self.execute_helper("best")
        self.assertEqual(reply["content"]["status"], "ok")
        [result] = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertTrue(result["content"]["data"]["text/plain"].startswith("best: "))
        self.assertIn("<table>", result["content"]["data"]["text/html"])

    def test_an_experiment_shows_a_table_then_one_svg_chart_per_run(self) -> None:
        self.flush_channels()
        reply, outputs = self.execute_helper("experiment", timeout=120)
        self.assertEqual(reply["content"]["status"], "ok")
        kinds = [m["msg_type"] for m in outputs]
        [result] = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertIn("<table>", result["content"]["data"]["text/html"])
        self.assertTrue(result["content"]["data"]["text/plain"].startswith("ran the experiment of "))
        charts = [m for m in outputs[kinds.index("execute_result") + 1 :] if m["msg_type"] == "display_data"]
        self.assertEqual(len(charts), 2, kinds)
        for chart, run in zip(charts, ["two-phase", "saddle-gd"]):
            self.assertTrue(chart["content"]["data"]["image/svg+xml"].startswith("<svg"))
            self.assertTrue(chart["content"]["data"]["text/plain"].startswith(run + "\n"))
        progress = [m for m in outputs if m["msg_type"] == "update_display_data"]
        self.assertIn("2 runs in", progress[-1]["content"]["data"]["text/plain"])

    def test_error_traceback_is_the_rendered_diagnostic(self) -> None:
        self.flush_channels()
        reply, outputs = self.execute_helper("fix x3 = 7")
        self.assertEqual(reply["content"]["status"], "error")
        traceback = "\n".join(outputs[0]["content"]["traceback"])
        self.assertIn("never takes the value 7", traceback)
        self.assertIn("fix x3 = 7", traceback)
        self.assertIn("^", traceback)

    def test_completion_counts_code_points(self) -> None:
        self.flush_channels()
        code = "# é\nst"
        msg_id = self.kc.complete(code, cursor_pos=len(code))
        reply = self.get_non_kernel_info_reply(timeout=10)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["cursor_start"], len(code) - 2)
        self.assertEqual(reply["content"]["cursor_end"], len(code))

    def test_a_stage_shows_live_progress(self) -> None:
        self.flush_channels()
        reply, outputs = self.execute_helper("step", timeout=300)
        self.assertEqual(reply["content"]["status"], "ok")
        kinds = [m["msg_type"] for m in outputs]
        self.assertEqual(kinds[0], "display_data", kinds)
        display_id = outputs[0]["content"]["transient"]["display_id"]
        updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
        self.assertGreaterEqual(len(updates), 2)
        self.assertTrue(all(m["content"]["transient"]["display_id"] == display_id for m in updates))
        self.assertIn("evaluations in", updates[-1]["content"]["data"]["text/plain"])
        self.assertEqual(kinds[-1], "execute_result")
        self.assertTrue(outputs[-1]["content"]["data"]["text/plain"].startswith("Stage 2:"))


class SignatureTests(unittest.TestCase):
    """Messages whose signature is wrong or missing are dropped, never executed."""

    def setUp(self) -> None:
        self.log = tempfile.TemporaryFile()
        self.km, self.kc = start_new_kernel(kernel_name=KERNEL, stderr=self.log)

    def tearDown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel()
        self.log.close()

    def assert_logged_a_drop(self) -> None:
        self.log.seek(0)
        self.assertIn("dropped a shell message: bad signature", self.log.read().decode())

    def send_forged(self, key: bytes) -> str:
        forged = Session(key=key, username="intruder")
        msg = forged.msg(
            "execute_request",
            content={
                "code": 'print "forged input ran"',
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        forged.send(self.kc.shell_channel.socket, msg)
        return msg["header"]["msg_id"]

    def assert_no_trace_of(self, msg_id: str) -> None:
        with self.assertRaises(queue.Empty):
            while True:
                reply = self.kc.get_shell_msg(timeout=2)
                self.assertNotEqual(reply["parent_header"].get("msg_id"), msg_id)
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                break
            self.assertNotEqual(msg["parent_header"].get("msg_id"), msg_id)

    def test_a_wrong_signature_is_not_executed(self) -> None:
        msg_id = self.send_forged(b"not-the-kernel-key")
        self.assert_no_trace_of(msg_id)
        self.assert_still_serving_and_clean()
        self.assert_logged_a_drop()

    def test_a_missing_signature_is_not_executed(self) -> None:
        msg_id = self.send_forged(b"")
        self.assert_no_trace_of(msg_id)
        self.assert_still_serving_and_clean()
        self.assert_logged_a_drop()

    def assert_still_serving_and_clean(self) -> None:
        reply = self.kc.execute_interactive("history", timeout=30, output_hook=lambda m: None)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(reply["content"]["execution_count"], 1, "the forged input took a count")
        history = self.kc.history(hist_access_type="tail", n=10, raw=True, output=False, reply=True, timeout=10)
        self.assertEqual([h[2] for h in history["content"]["history"]], ["history"])


class InterruptTests(unittest.TestCase):
    """interrupt_request on the control channel stops a running stage."""

    def test_interrupt_stops_a_long_run_and_keeps_the_session(self) -> None:
        km, kc = start_new_kernel(kernel_name=KERNEL)
        try:
            self.assertEqual(km.kernel_spec.interrupt_mode, "message")
            run_ok(kc, SLOW_STUDY)
            # 300 trials of about a second each: minutes unless the interrupt stops it.
            started = time.monotonic()
            msg_id = kc.execute("step")
            time.sleep(2.0)
            km.interrupt_kernel()
            reply = kc.get_shell_msg(timeout=120)
            self.assertLess(time.monotonic() - started, 60, "the stage ran to its end")
            self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
            self.assertEqual(reply["content"]["status"], "ok")
            text = ""
            while True:
                msg = kc.get_iopub_msg(timeout=10)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "execute_result":
                    text = msg["content"]["data"]["text/plain"]
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            self.assertIn("interrupted", text)
            run_ok(kc, "trials")
            run_ok(kc, "best")
        finally:
            kc.stop_channels()
            km.shutdown_kernel()


class NotebookTests(unittest.TestCase):
    """Every example notebook runs headless against the installed kernel without an error."""

    def test_example_notebooks_run_without_errors(self) -> None:
        notebooks = sorted((ROOT / "examples").glob("*.ipynb"))
        self.assertTrue(notebooks, "no example notebooks")
        for path in notebooks:
            with self.subTest(notebook=path.name):
                nb = nbformat.read(path, as_version=4)
                self.assertEqual(nb.metadata.kernelspec.name, KERNEL)
                client = NotebookClient(
                    nb, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(path.parent)}}
                )
                client.execute()
                errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
                self.assertEqual(errors, [])
                self.assertTrue(any(c.outputs for c in nb.cells if c.cell_type == "code"))


def test_kernelspec_is_found() -> None:
    """`jupyter kernelspec list` sees the installed kernel."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.argv[1:] == ["kernel", "--connection-file", "{connection_file}"]
    assert pathlib.Path(spec.argv[0]).is_absolute() and shutil.which(spec.argv[0]) is not None
    assert spec.language == "harmonica"
