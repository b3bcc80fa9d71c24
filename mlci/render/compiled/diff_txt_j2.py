from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'diff.txt.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_results = resolve('results')
    l_0_all_metric_table = resolve('all_metric_table')
    l_0_all_param_table = resolve('all_param_table')
    pass
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'name')))
    yield ' ('
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'short')))
    yield ') -> '
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'name')))
    if (environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'sha') != 'workspace'):
        pass
        yield ' ('
        yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'short')))
        yield ')'
    yield '\n'
    yield str(environment.finalize((undefined(name='all_metric_table') if l_0_all_metric_table is missing else l_0_all_metric_table)))
    yield '\n\n'
    yield str(environment.finalize((undefined(name='all_param_table') if l_0_all_param_table is missing else l_0_all_param_table)))
    yield '\n'
    for l_1_error in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'errors'):
        _loop_vars = {}
        pass
        yield 'note: could not read '
        yield str(environment.finalize(environment.getattr(l_1_error, 'file')))
        yield ' at '
        yield str(environment.finalize(environment.getattr(l_1_error, 'rev')))
        yield ': '
        yield str(environment.finalize(environment.getattr(l_1_error, 'message')))
        yield '\n'
    l_1_error = missing

blocks = {}
debug_info = '3=14&5=25&7=27&8=29&9=33'

MLCI_TEMPLATE_KEY = '9c1a10a640b4d74dc3c82690a5fd283e3c38dae96e59bbd43de0b88311b32899'
