"""A real fieldflash-platform for the console's tests: a data directory in a temp dir, the CLI run as
a process, and "serve" on 127.0.0.1 port 0 over HTTPS with the platform's own certificate."""
import json
import os
import select
import shlex
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BUILD = os.environ['FIELDFLASH_BUILDDIR']
PLATFORM = shlex.split(os.environ.get('FIELDFLASH_EXE_WRAPPER', '')) + [
    os.path.join(BUILD, 'src', 'platform', 'fieldflash-platform')]
# The bounds (at native speed) the "listening on" line must come within, a request's answer
# (each read of it) and serve's end once told to stop: generous ones, not a synchronisation.
START_SECONDS = 60
REQUEST_SECONDS = 60
STOP_SECONDS = 30


def deadline_s(native_s):
    """The bound of a wait, in seconds: @native_s at native speed times FIELDFLASH_TEST_TIME_FACTOR
    (1 when unset), which build-aux/run-tests sets where the tests run emulated, as it passes meson
    the same --timeout-multiplier. Every wait of the Python tests takes its bound from here."""
    text = os.environ.get('FIELDFLASH_TEST_TIME_FACTOR', '') or '1'
    try:
        factor = float(text)
    except ValueError:
        factor = 0
    if not 1 <= factor <= 1000:
        raise AssertionError(f'FIELDFLASH_TEST_TIME_FACTOR={text}: not a factor between 1 and 1000')
    return native_s * factor


class Platform:
    def __init__(self):
        self.temp = tempfile.TemporaryDirectory(prefix='fieldflash-console-')
        self.dir = self.temp.name
        self.data_dir = os.path.join(self.dir, 'data')
        self.server = None
        self.base_url = None
        self.run('init', '--host', '127.0.0.1')
        self.tls = ssl.create_default_context(cafile=os.path.join(self.data_dir, 'tls.crt'))
        self.tls.check_hostname = False

    def run(self, *args, input_text=None, check=True):
        """Runs fieldflash-platform --data-dir DIR ARGS; returns the finished process."""
        done = subprocess.run(PLATFORM + ['--data-dir', self.data_dir, *args], input=input_text,
                              capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f'{args}: exit {done.returncode}: {done.stderr}')
        return done

    def write(self, name, contents):
        path = os.path.join(self.dir, name)
        mode = 'wb' if isinstance(contents, bytes) else 'w'
        with open(path, mode) as out:
            out.write(contents)
        return path

    def start(self, listen='127.0.0.1:0'):
        """Starts serve on @listen (a port of its choosing by default; a restart names the port
        the browser's pages came from)."""
        # Its log goes to a file: a pipe nobody reads would stop serve once full, and reading it
        # after a failure would wait for serve's end.
        self.server_log = os.path.join(self.dir, 'serve.err')
        with open(self.server_log, 'a') as log:
            self.server = subprocess.Popen(PLATFORM + ['--data-dir', self.data_dir, 'serve',
                                                       '--listen', listen],
                                           stdout=subprocess.PIPE, stderr=log, text=True)
        deadline = time.monotonic() + deadline_s(START_SECONDS)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.server.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = self.server.stdout.readline()
            if not line:
                break
            if line.startswith('listening on '):
                self.base_url = line.split()[2]
                return
        with open(self.server_log) as log:
            raise AssertionError('serve did not print "listening on": ' + log.read())

    def stop_server(self):
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=deadline_s(STOP_SECONDS))
            except subprocess.TimeoutExpired:
                # SIGKILL reaches a serve that ignores SIGTERM (or is stopped); the test fails.
                self.server.kill()
                self.server.wait()
                raise AssertionError('serve did not end on SIGTERM: killed')
            finally:
                self.server.stdout.close()
                self.server = None

    def stop(self):
        try:
            self.stop_server()
        finally:
            self.temp.cleanup()

    def request(self, path, method='GET', body=None, headers=None):
        """(status, headers, body bytes) of one request; errors are answers too."""
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers.setdefault('Content-Type', 'application/json')
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers=headers)
        opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=self.tls))
        try:
            with opener.open(request, timeout=deadline_s(REQUEST_SECONDS)) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

