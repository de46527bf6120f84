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
# The bound the "listening on" line must come within: a generous one, not a synchronisation.
START_SECONDS = 60


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
        self.server = subprocess.Popen(PLATFORM + ['--data-dir', self.data_dir, 'serve', '--listen',
                                                   listen],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + START_SECONDS
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
        raise AssertionError('serve did not print "listening on": ' + self.server.stderr.read())

    def stop_server(self):
        if self.server is not None:
            self.server.terminate()
            self.server.wait()
            self.server.stdout.close()
            self.server.stderr.close()
            self.server = None

    def stop(self):
        self.stop_server()
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
            with opener.open(request) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

