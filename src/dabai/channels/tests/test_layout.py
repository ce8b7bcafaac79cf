"""The shape of the channels app: one adapter per channel, adapters independent, no import cycles."""

import grimp

from dabai.channels.adapter import ADAPTERS, Adapter
from dabai.channels.apps import ADAPTERS as REGISTERED

CHANNELS = "dabai.channels"


def channel_graph() -> tuple[grimp.ImportGraph, list[str]]:
    graph = grimp.build_graph("dabai")
    modules = [
        m for m in graph.modules if m.startswith(CHANNELS) and ".tests" not in m and ".migrations" not in m
    ]
    return graph, modules


def test_every_registered_sub_package_is_one_adapter_of_its_own_channel():
    assert len(ADAPTERS) == len(REGISTERED)
    for path in REGISTERED:
        adapter = next(a for a in ADAPTERS.values() if type(a).__module__.startswith(path + "."))
        assert isinstance(adapter, Adapter) and adapter.sources


def test_adapters_never_import_each_other_and_channels_have_no_cycles():
    graph, modules = channel_graph()
    for path in REGISTERED:
        others = [other for other in REGISTERED if other != path]
        for module in (m for m in modules if m == path or m.startswith(path + ".")):
            imported = graph.find_modules_directly_imported_by(module)
            assert not [i for i in imported for o in others if i == o or i.startswith(o + ".")], module
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in modules and imported != module:
                assert not graph.chain_exists(imported, module), f"{module} <-> {imported}"
