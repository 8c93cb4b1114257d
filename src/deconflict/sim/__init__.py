"""The traffic simulator: scenarios (``scenario.py``), aircraft performance from OpenAP
(``performance.py``), the vectorised motion kernel (``motion.py``), the traffic it builds
(``traffic.py``) and the feeds into a line or a file (``feed.py``). ``docs/simulator.md``."""
