"""The shape of a flow file, declared: which keys each mapping takes, what kind of value each
holds, and what a content author reads when one is wrong.

`shapes.py` has a model for each mapping of `flows/*.yaml` (`FlowShape`, `StepShape`,
`ButtonShape`, ...), built from the kinds of value in `kinds.py` and the ways on in
`branches.py`; pydantic checks a whole file against them at once, and `messages.py` turns
what it finds into `file:line` messages, using the `Says` next to each key. A valid shape
becomes the plain data of `spec.py` (`FlowShape.flow_spec`). Whether the names a flow uses
exist (steps, flows, guards, actions, tips) is not a question of shape: `loader.py` answers
it in code.
"""
