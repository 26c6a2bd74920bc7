from django.urls import path

from cards import views

app_name = "cards"

urlpatterns = [
    path("<int:pk>/card.pdf", views.card_pdf, name="card"),
    path("batch.pdf", views.batch_pdf, name="batch"),
]
