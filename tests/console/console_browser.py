"""Debian's chromium, headless, driven through chromium-driver for the console's tests."""
import os
import tempfile

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from console_fixture import deadline_s

# The bound a page's element must show up within (at native speed): generous, not a
# synchronisation.
WAIT_SECONDS = 30


def start_browser(temp_dir, language='en-US', size=(1920, 1080)):
    """A fresh chromium with a new profile of its own in @temp_dir, asking for @language first."""
    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for argument in ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                     '--no-first-run', '--disable-extensions', '--disable-background-networking',
                     '--disable-component-update', '--disable-sync', '--hide-scrollbars',
                     f'--user-data-dir={tempfile.mkdtemp(prefix="chromium-", dir=temp_dir)}',
                     f'--window-size={size[0]},{size[1]}', f'--lang={language}']:
        options.add_argument(argument)
    options.add_experimental_option('prefs', {'intl.accept_languages': language})
    # The platform's certificate is its own, self-signed; the test's platform is on 127.0.0.1.
    options.set_capability('acceptInsecureCerts', True)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    service = Service('/usr/bin/chromedriver', log_path=os.path.join(temp_dir, 'chromedriver.log'))
    driver = webdriver.Chrome(service=service, options=options)
    # The page's own size, exactly (a window's size includes what the browser draws around it).
    driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
        'width': size[0], 'height': size[1], 'deviceScaleFactor': 1, 'mobile': False})
    return driver


def wait_for(driver, css, condition=expected_conditions.visibility_of_element_located):
    return WebDriverWait(driver, deadline_s(WAIT_SECONDS)).until(condition((By.CSS_SELECTOR, css)))


def wait_until(driver, predicate):
    """Waits for @predicate(driver); an element it reads that the page replaced meanwhile, or has
    not made yet, counts as "not yet"."""
    return WebDriverWait(driver, deadline_s(WAIT_SECONDS), ignored_exceptions=[
        NoSuchElementException, StaleElementReferenceException]).until(predicate)


def console_errors(driver):
    """What the page wrote to the console at level SEVERE (errors, failed loads) since last asked."""
    return [entry for entry in driver.get_log('browser') if entry['level'] == 'SEVERE']
