from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'diff.md.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_results = resolve('results')
    l_0_tables = resolve('tables')
    pass
    yield '### Metrics: '
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'name')))
    yield ' (`'
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'short')))
    yield '`) → '
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'name')))
    if (environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'sha') != 'workspace'):
        pass
        yield ' (`'
        yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'short')))
        yield '`)'
    yield '\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'metrics'):
        pass
        yield '| File | Metric | Base | Head | Change |\n|---|---|--:|--:|--:|\n'
        yield str(environment.finalize(environment.getattr((undefined(name='tables') if l_0_tables is missing else l_0_tables), 'metrics')))
        yield '\n'
    else:
        pass
        yield 'No metrics.\n'
    yield '\n### Params\n\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'params'):
        pass
        yield '| File | Param | Base | Head | Change |\n|---|---|--:|--:|--:|\n'
        yield str(environment.finalize(environment.getattr((undefined(name='tables') if l_0_tables is missing else l_0_tables), 'params')))
        yield '\n'
    else:
        pass
        yield 'No params.\n'
    for l_1_error in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'errors'):
        _loop_vars = {}
        pass
        yield '\n- Could not read '
        yield str(environment.finalize(environment.getattr(l_1_error, 'file')))
        yield ' at '
        yield str(environment.finalize(environment.getattr(l_1_error, 'rev')))
        yield ': '
        yield str(environment.finalize(environment.getattr(l_1_error, 'message')))
        yield '\n'
    l_1_error = missing

blocks = {}
debug_info = '2=14&4=25&7=28&14=34&17=37&21=42&23=46'

MLCI_TEMPLATE_KEY = 'aae09f372ea5f7c8ee9a0b0f9deee6a17526964040962665f0f981e7c1c6fdfd'
