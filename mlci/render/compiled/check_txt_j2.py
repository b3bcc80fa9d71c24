from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'check.txt.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_results = resolve('results')
    l_0_summary = resolve('summary')
    l_0_rows = resolve('rows')
    l_0_metric_table = resolve('metric_table')
    l_0_folded = resolve('folded')
    l_0_delta_bars = resolve('delta_bars')
    l_0_params = resolve('params')
    l_0_param_table = resolve('param_table')
    l_0_problems = resolve('problems')
    try:
        t_1 = environment.filters['dataset_summary']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'dataset_summary' found.")
    try:
        t_2 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_3 = environment.filters['upper']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'upper' found.")
    pass
    yield str(environment.finalize(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'title')))
    yield ': '
    yield str(environment.finalize(t_3(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'verdict'))))
    yield '  ('
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'name')))
    yield ' '
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'short')))
    yield ' vs '
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'name')))
    yield ' '
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'short')))
    yield ')\n'
    yield str(environment.finalize((undefined(name='summary') if l_0_summary is missing else l_0_summary)))
    yield '\n\n'
    if (undefined(name='rows') if l_0_rows is missing else l_0_rows):
        pass
        yield str(environment.finalize((undefined(name='metric_table') if l_0_metric_table is missing else l_0_metric_table)))
        yield '\n'
    else:
        pass
        yield 'no metric changed\n'
    if (undefined(name='folded') if l_0_folded is missing else l_0_folded):
        pass
        yield '('
        yield str(environment.finalize(t_2((undefined(name='folded') if l_0_folded is missing else l_0_folded))))
        yield ' unchanged metric'
        yield str(environment.finalize(('s' if (t_2((undefined(name='folded') if l_0_folded is missing else l_0_folded)) != 1) else '')))
        yield ' not shown)\n'
    if (undefined(name='delta_bars') if l_0_delta_bars is missing else l_0_delta_bars):
        pass
        yield '\n'
        yield str(environment.finalize((undefined(name='delta_bars') if l_0_delta_bars is missing else l_0_delta_bars)))
        yield '\n'
    if (undefined(name='params') if l_0_params is missing else l_0_params):
        pass
        yield '\n'
        yield str(environment.finalize((undefined(name='param_table') if l_0_param_table is missing else l_0_param_table)))
        yield '\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'):
        pass
        yield '\ntests: '
        yield str(environment.finalize(t_3(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'outcome'))))
        yield '  '
        yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'command')))
        yield ': '
        yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'reason')))
        yield '\n'
        for l_1_failure in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'failures'):
            _loop_vars = {}
            pass
            yield '  FAILED '
            yield str(environment.finalize(environment.getattr(l_1_failure, 'id')))
            yield ': '
            yield str(environment.finalize(environment.getattr(l_1_failure, 'message')))
            yield '\n'
        l_1_failure = missing
    for l_1_ds in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'data'):
        _loop_vars = {}
        pass
        yield '\ndata: '
        yield str(environment.finalize(t_3(environment.getattr(l_1_ds, 'outcome'))))
        yield '  '
        yield str(environment.finalize(environment.getattr(l_1_ds, 'path')))
        yield ': '
        yield str(environment.finalize(t_1(l_1_ds)))
        yield '\n'
        def t_4(fiter):
            for l_2_c in fiter:
                if (environment.getattr(l_2_c, 'outcome') == 'fail'):
                    yield l_2_c
        for l_2_c in t_4(environment.getattr(l_1_ds, 'checks')):
            _loop_vars = {}
            pass
            yield '  FAIL '
            yield str(environment.finalize((environment.getattr(l_2_c, 'column') or '')))
            yield ' '
            yield str(environment.finalize(environment.getattr(l_2_c, 'check')))
            yield ': '
            yield str(environment.finalize(environment.getattr(l_2_c, 'reason')))
            yield '\n'
        l_2_c = missing
        if environment.getattr(l_1_ds, 'drift'):
            pass
            yield '  drift: '
            yield str(environment.finalize(t_3(environment.getattr(environment.getattr(l_1_ds, 'drift'), 'outcome'))))
            yield ' '
            yield str(environment.finalize(environment.getattr(environment.getattr(l_1_ds, 'drift'), 'reason')))
            yield '\n'
            def t_5(fiter):
                for l_2_c in fiter:
                    if (environment.getattr(l_2_c, 'outcome') != 'pass'):
                        yield l_2_c
            for l_2_c in t_5(environment.getattr(environment.getattr(l_1_ds, 'drift'), 'columns')):
                _loop_vars = {}
                pass
                yield '    '
                yield str(environment.finalize(t_3(environment.getattr(l_2_c, 'outcome'))))
                yield ' '
                yield str(environment.finalize(environment.getattr(l_2_c, 'column')))
                yield ': '
                yield str(environment.finalize(environment.getattr(l_2_c, 'reason')))
                yield '\n'
            l_2_c = missing
        elif environment.getattr(l_1_ds, 'drift_skipped'):
            pass
            yield '  drift: '
            yield str(environment.finalize(environment.getattr(l_1_ds, 'drift_skipped')))
            yield '\n'
    l_1_ds = missing
    if (undefined(name='problems') if l_0_problems is missing else l_0_problems):
        pass
        yield '\nGates that did not pass:\n'
        for l_1_gate in (undefined(name='problems') if l_0_problems is missing else l_0_problems):
            _loop_vars = {}
            pass
            yield '  '
            yield str(environment.finalize(t_3(environment.getattr(l_1_gate, 'outcome'))))
            yield '  '
            if environment.getattr(l_1_gate, 'file'):
                pass
                yield str(environment.finalize(environment.getattr(l_1_gate, 'file')))
                yield ':'
            yield str(environment.finalize(environment.getattr(l_1_gate, 'key')))
            yield '  ['
            yield str(environment.finalize(environment.getattr(l_1_gate, 'rule')))
            yield ']  '
            yield str(environment.finalize(environment.getattr(l_1_gate, 'reason')))
            yield '\n'
        l_1_gate = missing
    if (environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'errors') or environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'notes')):
        pass
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
        for l_1_note in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'notes'):
            _loop_vars = {}
            pass
            yield 'note: '
            yield str(environment.finalize(l_1_note))
            yield '\n'
        l_1_note = missing

blocks = {}
debug_info = '3=38&4=50&6=52&7=54&11=59&12=62&14=66&16=69&18=71&20=74&22=76&24=79&25=85&26=89&29=94&31=98&32=104&33=112&35=119&36=122&37=126&38=134&40=141&41=144&44=147&47=150&48=154&51=167&53=170&54=174&56=181&57=185'

MLCI_TEMPLATE_KEY = '35c8ca306d3e35d8b3eec5d6a363a3f8beb2b6198c975ebd022ec4b2ca5328e9'
