#!/usr/bin/env python3
"""The console's files as fieldflash-platform serves them below /console/: from its resources, with
the right Content-Type and the security headers (a CSP without inline script, no sniffing, no
frames); the translations of po/ as JSON; nothing else under /console/."""
import json
import re
import unittest

from console_fixture import Platform


class ConsoleFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.platform = Platform()
        cls.platform.start()

    @classmethod
    def tearDownClass(cls):
        cls.platform.stop()

    def get(self, path, method='GET', headers=None):
        return self.platform.request(path, method=method, headers=headers)

    def assert_secured(self, headers):
        policy = headers['Content-Security-Policy']
        directives = dict(d.strip().split(' ', 1) for d in policy.split(';'))
        self.assertEqual(directives['script-src'], "'self'")
        self.assertEqual(directives['default-src'], "'none'")
        self.assertEqual(directives['frame-ancestors'], "'none'")
        self.assertNotIn('unsafe-inline', policy)
        self.assertNotIn('unsafe-eval', policy)
        self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')

    def test_index(self):
        status, headers, body = self.get('/console/')
        self.assertEqual(status, 200)
        self.assertEqual(headers['Content-Type'], 'text/html; charset=utf-8')
        self.assert_secured(headers)
        page = body.decode()
        scripts = re.findall(r'<script\b[^>]*>', page)
        self.assertEqual(scripts, ['<script type="module" src="js/main.js">'])
        # no event handler attribute either (onload=…): that is inline script too
        self.assertIsNone(re.search(r'<[^>]*\son[a-z]+\s*=', page))
        status, headers, _ = self.get('/console')
        self.assertEqual(status, 301)
        self.assertEqual(headers['Location'], '/console/')

    def test_modules_and_leaflet(self):
        for path, kind in [('/console/js/main.js', 'text/javascript; charset=utf-8'),
                           ('/console/js/pages/terminals.js', 'text/javascript; charset=utf-8'),
                           ('/console/console.css', 'text/css; charset=utf-8'),
                           ('/console/leaflet/leaflet.esm.js', 'text/javascript; charset=utf-8'),
                           ('/console/leaflet/leaflet.css', 'text/css; charset=utf-8'),
                           ('/console/leaflet/images/layers.png', 'image/png')]:
            with self.subTest(path=path):
                status, headers, body = self.get(path)
                self.assertEqual(status, 200)
                self.assertEqual(headers['Content-Type'], kind)
                self.assert_secured(headers)
                self.assertGreater(len(body), 0)
        with open('/usr/share/javascript/leaflet/leaflet.esm.js', 'rb') as debian:
            self.assertEqual(self.get('/console/leaflet/leaflet.esm.js')[2], debian.read())

    def test_revalidation(self):
        """A file the browser has (its ETag) costs no body again; a changed one is sent whole."""
        status, headers, body = self.get('/console/js/api.js')
        self.assertEqual(status, 200)
        self.assertEqual(headers['Cache-Control'], 'no-cache')
        etag = headers['ETag']
        self.assertRegex(etag, r'^"[0-9a-f]{64}"$')
        self.assertNotEqual(self.get('/console/js/dom.js')[1]['ETag'], etag)
        status, headers, body = self.get('/console/js/api.js', headers={'If-None-Match': etag})
        self.assertEqual(status, 304)
        self.assertEqual(body, b'')
        self.assertEqual(headers['ETag'], etag)
        self.assert_secured(headers)
        status, _, body = self.get('/console/js/api.js', headers={'If-None-Match': '"' + '0' * 64 + '"'})
        self.assertEqual(status, 200)
        self.assertGreater(len(body), 0)

    def test_every_imported_module_is_served(self):
        # Each module's static imports resolve to a served file: a page missing from the
        # resources would only show as a blank console.
        pending, seen = ['/console/js/main.js'], set()
        while pending:
            path = pending.pop()
            if path in seen:
                continue
            seen.add(path)
            status, _, body = self.get(path)
            self.assertEqual(status, 200, path)
            base = path.rsplit('/', 1)[0]
            for target in re.findall(r"^import .* from '([^']+)';", body.decode(), re.M):
                parts = (base + '/' + target).split('/')
                resolved = []
                for part in parts:
                    if part == '..':
                        resolved.pop()
                    elif part != '.':
                        resolved.append(part)
                pending.append('/'.join(resolved))
        self.assertIn('/console/leaflet/leaflet.esm.js', seen)
        self.assertIn('/console/js/pages/dispatch.js', seen)
        # The index page asks for every one of them at once, and for nothing else.
        page = self.get('/console/')[2].decode()
        preloaded = {'/console/' + href
                     for href in re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)}
        self.assertEqual(preloaded, seen)

    def test_translations(self):
        status, headers, body = self.get('/console/messages.json')
        self.assertEqual(status, 200)
        self.assertEqual(headers['Content-Type'], 'application/json')
        catalogues = json.loads(body)
        self.assertEqual(catalogues['zh_CN']['Fleet'], '终端总览')
        self.assertEqual(catalogues['zh_CN']['Dispatch the selection'], '为所选终端派工')
        # Only the console's strings: not the tablet's nor the CLI's.
        self.assertNotIn('Too many wrong PINs; wait before trying again', catalogues['zh_CN'])

    def test_nothing_else(self):
        for path in ['/console/nothing.js', '/console/js/',
                     '/console/js//main.js', '/console/console.gresource.xml',
                     '/console/po-to-json.py']:
            with self.subTest(path=path):
                status, headers, body = self.get(path)
                self.assertEqual(status, 404)
                self.assertIn('error', json.loads(body))
        status, _, _ = self.get('/console/', method='POST')
        self.assertEqual(status, 405)


if __name__ == '__main__':
    unittest.main(verbosity=2)
