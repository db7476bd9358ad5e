import os

from django.core.wsgi import get_wsgi_application

from maatchaa.middleware import refuse_unparsable_requests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maatchaa.settings")
application = refuse_unparsable_requests(get_wsgi_application())
