"""The learning-cycle domain: experiments, decisions and the rules that govern them.

Pure code: no I/O, no frameworks beyond eventsourcing's domain module.
"""
