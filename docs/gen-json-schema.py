import re,sys,os
files=['rdp-probe/src/report/mod.rs','rdp-probe/src/report/tls.rs','rdp-probe/src/report/nla.rs','rdp-probe/src/report/mcs.rs','rdp-probe/src/findings.rs']
out=[]
for f in files:
    src=open(f).read().split('\n')
    doc=[];struct=None;sdoc=''
    for line in src:
        l=line.strip()
        if l.startswith('///'):
            doc.append(l[3:].strip()); continue
        m=re.match(r'pub (struct|enum) (\w+)',l)
        if m and l.endswith('{'):
            struct=m.group(2); kind=m.group(1)
            if kind=='struct':
                out.append(f'\n### `{struct}` ({os.path.basename(f)})\n\n{" ".join(doc)}\n\n| field | type | meaning |\n|---|---|---|')
            else:
                struct=None
            doc=[];continue
        m=re.match(r'pub (\w+): (.+),$',l)
        if m and struct:
            t=m.group(2).replace('|','\\|')
            out.append(f'| `{m.group(1)}` | `{t}` | {" ".join(doc)} |')
            doc=[];continue
        if l=='}': struct=None
        if not l.startswith('#'): doc=[]
print('\n'.join(out))
